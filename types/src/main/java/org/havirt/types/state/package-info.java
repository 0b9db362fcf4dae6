/**
 * The state tables of spec §4: libvirt state and reason, RHEV VM status, and the neutral VM state
 * that both become before the engine sees a resource state.
 */
package org.havirt.types.state;
