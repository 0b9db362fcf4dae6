/**
 * The backend contract: what the agent asks of a hypervisor or virtualization manager. Backends
 * depend on this package and nothing else of havirt's.
 */
package org.havirt.types.backend;
