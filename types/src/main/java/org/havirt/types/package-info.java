/**
 * The contract shared by every havirt module: resource states, entry points, clean reasons, the VCS
 * script exit codes and the shipped KVMGuest type definition.
 */
package org.havirt.types;
