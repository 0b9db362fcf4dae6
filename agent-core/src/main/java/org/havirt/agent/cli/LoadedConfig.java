package org.havirt.agent.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.havirt.config.ConfigCheck;
import org.havirt.config.ConfigModel;
import org.havirt.config.Diagnostic;
import org.havirt.config.ResourceResolver;
import org.havirt.config.TypeCatalog;

/** A main.cf loaded for a command: refused with its diagnostics when it has errors. */
public final class LoadedConfig {
  public final ConfigModel model;
  public final ResourceResolver resolver;
  public final TypeCatalog catalog;

  private LoadedConfig(ConfigModel model, ResourceResolver resolver, TypeCatalog catalog) {
    this.model = model;
    this.resolver = resolver;
    this.catalog = catalog;
  }

  /** Loads {@code main}; prints its errors to {@code err} and returns empty if it has any. */
  public static Optional<LoadedConfig> load(Path main, PrintWriter err) {
    ConfigCheck.Result r = ConfigCheck.check(main, List.of());
    if (r.hasErrors()) {
      r.diagnostics().stream().filter(Diagnostic::isError).forEach(err::println);
      err.println("havirt: " + main + " has errors; nothing was done");
      err.flush();
      return Optional.empty();
    }
    ConfigModel model = ConfigModel.of(r.files());
    TypeCatalog catalog = TypeCatalog.from(r.files(), new java.util.ArrayList<>());
    return Optional.of(new LoadedConfig(model, new ResourceResolver(model, catalog), catalog));
  }

  /** Returns the configuration of a node without main.cf: no resources, the shipped types. */
  public static LoadedConfig empty() {
    ConfigModel model = ConfigModel.of(List.of());
    TypeCatalog catalog = TypeCatalog.from(List.of(), new java.util.ArrayList<>());
    return new LoadedConfig(model, new ResourceResolver(model, catalog), catalog);
  }

  /** Returns this host's system name: the short host name. */
  public static String defaultSystem() {
    try {
      String host = java.net.InetAddress.getLocalHost().getHostName();
      int dot = host.indexOf('.');
      return dot > 0 ? host.substring(0, dot) : host;
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
