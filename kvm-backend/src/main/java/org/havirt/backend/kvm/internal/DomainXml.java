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
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(null);
      Document doc = b.parse(new InputSource(new StringReader(xml)));
      if (!"domain".equals(doc.getDocumentElement().getTagName())) {
        throw new IllegalArgumentException(
            "the root element is <" + doc.getDocumentElement().getTagName() + ">, not <domain>");
      }
      return doc;
    } catch (SAXException e) {
      throw new IllegalArgumentException("not well-formed XML: " + e.getMessage());
    } catch (IOException | ParserConfigurationException e) {
      throw new IllegalArgumentException("unreadable XML: " + e.getMessage());
    }
  }

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
}
