package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** Reads the few facts havirt needs from libvirt domain XML. External entities are refused. */
public final class DomainXml {
  /** One disk or CD-ROM source: its device kind, target and path (empty for none). */
  public record DiskSource(String device, String target, String path, String kind) {}

  private DomainXml() {}

  /** Parses {@code xml}; throws with a one-line reason if it is not a domain document. */
  public static Document parse(String xml) throws IllegalArgumentException {
    try {
      DocumentBuilder b = BUILDERS.get();
      b.reset();
      b.setErrorHandler(null);
      Document doc = b.parse(new InputSource(new StringReader(xml)));
      if (!"domain".equals(doc.getDocumentElement().getTagName())) {
        throw new IllegalArgumentException(
            "the root element is <" + doc.getDocumentElement().getTagName() + ">, not <domain>");
      }
      return doc;
    } catch (SAXException e) {
      throw new IllegalArgumentException("not well-formed XML: " + e.getMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable XML: " + e.getMessage());
    }
  }

  /**
   * One parser per thread: finding and configuring a factory costs more than parsing a domain, and
   * every resource's open parses one (1,000 at an agent's start-up). Builders are not thread-safe,
   * hence per thread.
   */
  private static final ThreadLocal<DocumentBuilder> BUILDERS =
      ThreadLocal.withInitial(
          () -> {
            try {
              DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
              f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
              f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
              f.setXIncludeAware(false);
              f.setExpandEntityReferences(false);
              return f.newDocumentBuilder();
            } catch (ParserConfigurationException e) {
              throw new IllegalStateException("no secure XML parser", e);
            }
          });

  /** Returns the domain's {@code <name>}, or empty text if it has none. */
  public static String name(Document doc) {
    NodeList names = doc.getDocumentElement().getElementsByTagName("name");
    for (int i = 0; i < names.getLength(); i++) {
      if (names.item(i).getParentNode() == doc.getDocumentElement()) {
        return names.item(i).getTextContent().trim();
      }
    }
    return "";
  }

  /**
   * Returns {@code xml} with its {@code <uuid>} set to {@code uuid} (added when missing). libvirt
   * refuses to redefine a domain under another UUID, and a hand-written shared file often has none.
   */
  public static String withUuid(String xml, String uuid) {
    Document doc = parse(xml);
    Element el = child(doc.getDocumentElement(), "uuid");
    if (el == null) {
      el = doc.createElement("uuid");
      Element name = child(doc.getDocumentElement(), "name");
      doc.getDocumentElement()
          .insertBefore(
              el, name == null ? doc.getDocumentElement().getFirstChild() : name.getNextSibling());
    }
    el.setTextContent(uuid);
    return serialize(doc);
  }

  /** Returns the domain's {@code <uuid>}, or empty text if it has none. */
  public static String uuid(Document doc) {
    Element el = child(doc.getDocumentElement(), "uuid");
    return el == null ? "" : el.getTextContent().trim();
  }

  /** Returns every {@code <disk>} of the domain with its source. */
  public static List<DiskSource> disks(Document doc) {
    List<DiskSource> out = new ArrayList<>();
    NodeList disks = doc.getElementsByTagName("disk");
    for (int i = 0; i < disks.getLength(); i++) {
      Element disk = (Element) disks.item(i);
      String device = disk.getAttribute("device").isEmpty() ? "disk" : disk.getAttribute("device");
      String type = disk.getAttribute("type");
      String target = "";
      String path = "";
      NodeList children = disk.getChildNodes();
      for (int j = 0; j < children.getLength(); j++) {
        if (children.item(j) instanceof Element e) {
          if (e.getTagName().equals("target")) {
            target = e.getAttribute("dev");
          } else if (e.getTagName().equals("source")) {
            for (String attr : List.of("file", "dev", "dir", "name", "volume")) {
              if (!e.getAttribute(attr).isEmpty()) {
                path = e.getAttribute(attr);
                break;
              }
            }
          }
        }
      }
      out.add(new DiskSource(device, target, path, type));
    }
    return out;
  }

  /**
   * Returns {@code xml} with every CD-ROM whose source is {@code iso} removed and, when {@code
   * attach} is true, one such CD-ROM added (read-only, on a free IDE or, for q35 machines, SATA
   * target). Other devices are untouched.
   */
  public static String withCdrom(String xml, String iso, boolean attach) {
    Document doc = parse(xml);
    Element devices = child(doc.getDocumentElement(), "devices");
    if (devices == null) {
      devices = doc.createElement("devices");
      doc.getDocumentElement().appendChild(devices);
    }
    java.util.Set<String> used = new java.util.HashSet<>();
    for (Element disk : children(devices, "disk")) {
      Element source = child(disk, "source");
      if ("cdrom".equals(disk.getAttribute("device"))
          && source != null
          && iso.equals(source.getAttribute("file"))) {
        devices.removeChild(disk);
      } else {
        Element target = child(disk, "target");
        if (target != null) {
          used.add(target.getAttribute("dev"));
        }
      }
    }
    if (attach) {
      Element os = child(doc.getDocumentElement(), "os");
      Element type = os == null ? null : child(os, "type");
      boolean q35 = type != null && type.getAttribute("machine").contains("q35");
      String prefix = q35 ? "sd" : "hd";
      String dev = prefix + "a";
      for (char c = 'a'; c <= 'z' && used.contains(dev); c++) {
        dev = prefix + (char) (c + 1);
      }
      Element disk = doc.createElement("disk");
      disk.setAttribute("type", "file");
      disk.setAttribute("device", "cdrom");
      Element driver = doc.createElement("driver");
      driver.setAttribute("name", "qemu");
      driver.setAttribute("type", "raw");
      Element source = doc.createElement("source");
      source.setAttribute("file", iso);
      Element target = doc.createElement("target");
      target.setAttribute("dev", dev);
      target.setAttribute("bus", q35 ? "sata" : "ide");
      disk.appendChild(driver);
      disk.appendChild(source);
      disk.appendChild(target);
      disk.appendChild(doc.createElement("readonly"));
      devices.appendChild(disk);
    }
    return serialize(doc);
  }

  private static Element child(Element parent, String tag) {
    List<Element> found = children(parent, tag);
    return found.isEmpty() ? null : found.get(0);
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element e && e.getTagName().equals(tag)) {
        out.add(e);
      }
    }
    return out;
  }

  private static String serialize(Document doc) {
    try {
      javax.xml.transform.TransformerFactory f =
          javax.xml.transform.TransformerFactory.newInstance();
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
      javax.xml.transform.Transformer t = f.newTransformer();
      t.setOutputProperty(javax.xml.transform.OutputKeys.OMIT_XML_DECLARATION, "yes");
      java.io.StringWriter out = new java.io.StringWriter();
      t.transform(
          new javax.xml.transform.dom.DOMSource(doc),
          new javax.xml.transform.stream.StreamResult(out));
      return out.toString();
    } catch (javax.xml.transform.TransformerException e) {
      throw new IllegalStateException("cannot write domain XML", e);
    }
  }
}
