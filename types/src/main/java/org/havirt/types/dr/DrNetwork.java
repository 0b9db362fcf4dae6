package org.havirt.types.dr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.havirt.types.backend.GuestSpec;

/**
 * The guest network of one site, from a resource's DROpts, validated. Immutable.
 *
 * <p>The payload ({@link #payload()}) is a small key=value file, {@value #PAYLOAD_FILE}, put on a
 * CD-ROM for the guest; docs/rhev.md documents its format. Every value is checked before it is
 * written, so the file never carries quotes, spaces inside a value or shell metacharacters.
 *
 * @param device the guest NIC, or empty for the first one
 * @param address the guest's address at this site
 * @param prefix the prefix length (from Netmask, dotted or a length)
 * @param gateway the default gateway, inside the subnet
 * @param dnsServers the name servers, in order
 * @param searchPath the DNS search domains, in order
 */
public record DrNetwork(
    Optional<String> device,
    InetAddress address,
    int prefix,
    Optional<InetAddress> gateway,
    List<InetAddress> dnsServers,
    List<String> searchPath) {

  /** The payload's file name on the CD-ROM. */
  public static final String PAYLOAD_FILE = "havirt-dr.conf";

  /** The payload format version, bumped on any incompatible change. */
  public static final int PAYLOAD_VERSION = 1;

  private static final Pattern IPV4 =
      Pattern.compile(
          "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern DEVICE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}");
  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

  public DrNetwork {
    dnsServers = List.copyOf(dnsServers);
    searchPath = List.copyOf(searchPath);
  }

  /** The outcome of reading DROpts: a network, or every problem found. */
  public record Parsed(Optional<DrNetwork> network, List<String> problems) {
    public Parsed {
      problems = List.copyOf(problems);
    }
  }

  /** Returns whether DROpts asks for the site network (ConfigureNetwork = 1). */
  public static boolean requested(GuestSpec guest) {
    return guest
        .associationKey("DROpts", "ConfigureNetwork")
        .map(v -> v.trim().equals("1"))
        .orElse(false);
  }

  /**
   * Reads and checks DROpts: IPAddress and Netmask are required, Gateway must be inside the subnet,
   * DNSServers and DNSSearchPath are space-separated lists. Every problem is reported, each saying
   * which key to fix. Never looks anything up in DNS.
   */
  public static Parsed parse(GuestSpec guest) {
    List<String> problems = new ArrayList<>();
    Optional<String> device = guest.associationKey("DROpts", "Device").map(String::trim);
    if (device.isPresent() && !DEVICE.matcher(device.get()).matches()) {
      problems.add(
          "DROpts.Device '" + device.get() + "' is not a network interface name (e.g. eth0)");
    }
    Optional<InetAddress> ip = Optional.empty();
    Optional<String> ipText = guest.associationKey("DROpts", "IPAddress").map(String::trim);
    if (ipText.isEmpty()) {
      problems.add("DROpts.IPAddress is not set (the guest's address at this site)");
    } else {
      ip = address(ipText.get());
      if (ip.isEmpty()) {
        problems.add("DROpts.IPAddress '" + ipText.get() + "' is not an IPv4 or IPv6 address");
      }
    }
    int prefix = -1;
    Optional<String> mask = guest.associationKey("DROpts", "Netmask").map(String::trim);
    if (mask.isEmpty()) {
      problems.add("DROpts.Netmask is not set (e.g. 255.255.255.0 or 24)");
    } else if (ip.isPresent()) {
      prefix = prefix(mask.get(), ip.get());
      if (prefix < 0) {
        problems.add(
            "DROpts.Netmask '"
                + mask.get()
                + "' is not a "
                + (ip.get() instanceof Inet4Address
                    ? "contiguous IPv4 netmask or a prefix length 0-32"
                    : "prefix length 0-128"));
      }
    }
    Optional<InetAddress> gw = Optional.empty();
    Optional<String> gwText = guest.associationKey("DROpts", "Gateway").map(String::trim);
    if (gwText.isPresent()) {
      gw = address(gwText.get());
      if (gw.isEmpty()) {
        problems.add("DROpts.Gateway '" + gwText.get() + "' is not an IPv4 or IPv6 address");
      } else if (ip.isPresent() && prefix >= 0) {
        if (gw.get().getClass() != ip.get().getClass()) {
          problems.add(
              "DROpts.Gateway " + gwText.get() + " is not of the same family as IPAddress");
        } else if (gw.get().equals(ip.get())) {
          problems.add("DROpts.Gateway is the guest's own address " + gwText.get());
        } else if (!sameSubnet(ip.get(), gw.get(), prefix)) {
          problems.add(
              "DROpts.Gateway "
                  + gwText.get()
                  + " is outside the subnet "
                  + network(ip.get(), prefix)
                  + "/"
                  + prefix);
        }
      }
    }
    List<InetAddress> dns = new ArrayList<>();
    for (String s : words(guest.associationKey("DROpts", "DNSServers"))) {
      Optional<InetAddress> a = address(s);
      if (a.isEmpty()) {
        problems.add(
            "DROpts.DNSServers: '"
                + s
                + "' is not an IPv4 or IPv6 address (list is space separated)");
      } else {
        dns.add(a.get());
      }
    }
    List<String> search = new ArrayList<>();
    for (String s : words(guest.associationKey("DROpts", "DNSSearchPath"))) {
      if (DOMAIN.matcher(s).matches()) {
        search.add(s);
      } else {
        problems.add(
            "DROpts.DNSSearchPath: '" + s + "' is not a domain name (list is space separated)");
      }
    }
    if (!problems.isEmpty()) {
      return new Parsed(Optional.empty(), problems);
    }
    return new Parsed(
        Optional.of(new DrNetwork(device, ip.orElseThrow(), prefix, gw, dns, search)), List.of());
  }

  private static List<String> words(Optional<String> v) {
    return v.map(s -> List.of(s.trim().split("[\\s,]+"))).orElse(List.of()).stream()
        .filter(w -> !w.isEmpty())
        .toList();
  }

  /** Parses an address literal; never a DNS lookup. */
  static Optional<InetAddress> address(String s) {
    try {
      if (IPV4.matcher(s).matches()) {
        return Optional.of(InetAddress.getByName(s));
      }
      if (s.contains(":") && IPV6_CHARS.matcher(s).matches()) {
        InetAddress a = InetAddress.getByName(s); // a literal with ':' is never looked up
        return a instanceof Inet6Address ? Optional.of(a) : Optional.empty();
      }
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Returns the prefix length of a netmask (dotted IPv4 or a length, with or without '/'). */
  static int prefix(String mask, InetAddress ip) {
    int max = ip instanceof Inet4Address ? 32 : 128;
    String m = mask.startsWith("/") ? mask.substring(1) : mask;
    if (m.matches("\\d{1,3}")) {
      int p = Integer.parseInt(m);
      return p <= max ? p : -1;
    }
    if (max == 32 && IPV4.matcher(m).matches()) {
      byte[] b = address(m).orElseThrow().getAddress();
      long bits =
          ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
      int p = Long.numberOfLeadingZeros(~bits & 0xffffffffL) - 32;
      long expect = p == 0 ? 0 : (0xffffffffL << (32 - p)) & 0xffffffffL;
      return bits == expect ? p : -1;
    }
    return -1;
  }

  private static boolean sameSubnet(InetAddress a, InetAddress b, int prefix) {
    byte[] x = a.getAddress();
    byte[] y = b.getAddress();
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((x[bit / 8] & mask) != (y[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static String network(InetAddress a, int prefix) {
    byte[] x = a.getAddress();
    for (int bit = prefix; bit < x.length * 8; bit++) {
      x[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    try {
      return InetAddress.getByAddress(x).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns the IPv4 netmask in dotted form, or empty for IPv6. */
  public Optional<String> dottedNetmask() {
    if (!(address instanceof Inet4Address)) {
      return Optional.empty();
    }
    long bits = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    return Optional.of(
        (bits >>> 24)
            + "."
            + ((bits >>> 16) & 0xff)
            + "."
            + ((bits >>> 8) & 0xff)
            + "."
            + (bits & 0xff));
  }

  /**
   * Returns the payload file's text: {@code KEY=value} lines, values double-quoted, lists space
   * separated, an empty value meaning "not set".
   */
  public String payload() {
    StringBuilder s = new StringBuilder();
    s.append("# havirt DR network settings, applied at boot by havirt-net-reconfig\n");
    line(s, "HAVIRT_DR_VERSION", Integer.toString(PAYLOAD_VERSION));
    line(s, "DEVICE", device.orElse(""));
    line(s, "FAMILY", address instanceof Inet4Address ? "inet" : "inet6");
    line(s, "IPADDR", address.getHostAddress());
    line(s, "PREFIX", Integer.toString(prefix));
    line(s, "NETMASK", dottedNetmask().orElse(""));
    line(s, "GATEWAY", gateway.map(InetAddress::getHostAddress).orElse(""));
    line(s, "DNS", String.join(" ", dnsServers.stream().map(InetAddress::getHostAddress).toList()));
    line(s, "SEARCH", String.join(" ", searchPath));
    return s.toString();
  }

  private static void line(StringBuilder s, String key, String value) {
    s.append(key).append("=\"").append(value).append("\"\n");
  }
}
