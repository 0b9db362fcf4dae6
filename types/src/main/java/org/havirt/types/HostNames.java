package org.havirt.types;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What may stand for a hypervisor host where it goes into a libvirt URI ({@code %h} of {@code
 * qemu+ssh://%h/system}): an RFC 1123 host name or an IP literal, nothing else, except that labels
 * may hold underscores: VCS system names such as {@code node_a} are common, resolve through
 * /etc/hosts, and an underscore is an unreserved URI character, so refusing them would only stop a
 * working cluster's agent at upgrade. A peer name or {@code PhysicalServer} such as {@code
 * x/?command=/path}, {@code a@b} or {@code -oProxyCommand=…} would otherwise change the URI (its
 * path, its user, its transport's options). Pure and thread-safe.
 */
public final class HostNames {
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
              + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]{1,4}");

  private HostNames() {}

  /**
   * Returns why {@code host} is not a host name or IP literal, or empty if it is one. An IPv6
   * literal may be given with or without brackets.
   */
  public static Optional<String> problem(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.of("it is empty");
    }
    if (isIpv4(host) || isIpv6(unbracket(host))) {
      return Optional.empty();
    }
    if (host.length() > 253) {
      return Optional.of("it is longer than 253 characters");
    }
    // A fully qualified name may end with the root's dot (hv1.example.com.).
    String name =
        host.length() > 1 && host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return Optional.of(
            "it is neither an IP address nor a host name (labels of letters, digits,"
                + " underscores and inner hyphens, separated by dots)");
      }
    }
    return Optional.empty();
  }

  /**
   * Returns {@code host} as it goes into a URI's authority: an IPv6 literal in brackets, anything
   * else unchanged.
   *
   * @throws IllegalArgumentException if {@code host} is not a host name or IP literal, naming it
   */
  public static String forUri(String host) {
    Optional<String> p = problem(host);
    if (p.isPresent()) {
      throw new IllegalArgumentException(describe(host, p.get()));
    }
    String bare = unbracket(host);
    return isIpv6(bare) ? "[" + bare + "]" : host;
  }

  /** Returns the error text for a refused {@code host}: the value, quoted, and why. */
  public static String describe(String host, String problem) {
    return "'" + host + "' is not a host name or IP address: " + problem;
  }

  private static String unbracket(String h) {
    return h.length() > 2 && h.startsWith("[") && h.endsWith("]")
        ? h.substring(1, h.length() - 1)
        : h;
  }

  private static boolean isIpv4(String h) {
    return IPV4.matcher(h).matches();
  }

  private static boolean isIpv6(String h) {
    if (h.length() > 45 || !h.contains(":")) {
      return false;
    }
    String a = h;
    int lastColon = a.lastIndexOf(':');
    if (a.indexOf('.') >= 0) {
      // An embedded IPv4 address counts as two groups.
      if (!isIpv4(a.substring(lastColon + 1))) {
        return false;
      }
      a = a.substring(0, lastColon + 1) + "0:0";
    }
    int dbl = a.indexOf("::");
    if (dbl >= 0) {
      if (a.indexOf("::", dbl + 1) >= 0) {
        return false;
      }
      int left = groups(a.substring(0, dbl));
      int right = groups(a.substring(dbl + 2));
      return left >= 0 && right >= 0 && left + right <= 7;
    }
    return groups(a) == 8;
  }

  /** Returns how many hex groups "h:h:h" holds (0 for empty), or -1 if it is not such a list. */
  private static int groups(String s) {
    if (s.isEmpty()) {
      return 0;
    }
    String[] parts = s.split(":", -1);
    for (String p : parts) {
      if (!HEX.matcher(p).matches()) {
        return -1;
      }
    }
    return parts.length;
  }
}
