package org.havirt.kvm;

/** Domain XML for tests outside this package. */
public final class GuestsXml {
  private GuestsXml() {}

  /** A test-driver domain. */
  public static String test(String name) {
    return Guests.testXml(name);
  }
}
