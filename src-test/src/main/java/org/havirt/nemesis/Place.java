package org.havirt.nemesis;

/** A resource (named as its guest) on one node. Immutable. */
public record Place(String node, String resource) {
  @Override
  public String toString() {
    return resource + "@" + node;
  }
}
