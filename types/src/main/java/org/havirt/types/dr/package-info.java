/**
 * Disaster recovery: the site network a guest takes when it starts at another site (DROpts), its
 * validation and the payload file the guest service {@code havirt-net-reconfig} reads at boot.
 */
package org.havirt.types.dr;
