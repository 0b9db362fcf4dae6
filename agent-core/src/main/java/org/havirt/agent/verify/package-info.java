/**
 * Environment validation (spec §8): the checks havirtverify prints and the agent runs in open and
 * attr_changed.
 */
package org.havirt.agent.verify;
