package org.havirt.agent.engine;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.havirt.agent.core.ResourceStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.ResourceState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells Pacemaker at once when a guest it placed on this node fails, instead of letting it find out
 * at its next recurring monitor (seconds later): {@code crm_resource --fail --resource R --node N},
 * which Pacemaker records as a failed monitor and recovers from as usual.
 *
 * <p>Only a resource the OCF agent bound (its Pacemaker name and this node's name) is reported, and
 * only when the agent itself judged it faulted: an unexpected OFFLINE, which libvirt or RHEV-M
 * reported for certain. A stop, a migration away or an UNKNOWN state is never reported; one fault
 * is reported once. Commands run one at a time off the status thread with a deadline, so a hung
 * command delays nothing else. Thread-safe.
 */
public final class PacemakerFaults {
  private static final Logger log = LoggerFactory.getLogger(PacemakerFaults.class);
  static final Duration DEADLINE = Duration.ofSeconds(10);

  /** Runs a command; returns its exit code, or -1 when it could not run or timed out. */
  @FunctionalInterface
  public interface CommandRunner {
    int run(List<String> argv, Duration deadline);
  }

  /** Where Pacemaker knows a resource: its id in the CIB and the node it runs on. */
  public record Binding(String pacemakerResource, String node) {}

  private final Map<String, Binding> bindings = new ConcurrentHashMap<>();
  private final Map<String, Boolean> reported = new ConcurrentHashMap<>();
  private final CommandRunner runner;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "havirt-pacemaker-faults");
            t.setDaemon(true);
            return t;
          });

  public PacemakerFaults(CommandRunner runner) {
    this.runner = runner;
  }

  /** The real thing: {@code crm_resource} from the PATH. */
  public static PacemakerFaults withCrmResource() {
    return new PacemakerFaults(PacemakerFaults::exec);
  }

  /** Records that {@code resource} is Pacemaker's {@code binding}; replaces an earlier one. */
  public void bind(String resource, Binding binding) {
    Binding before = bindings.put(resource, binding);
    if (!binding.equals(before)) {
      log.info(
          "pacemaker binding resource={} pacemaker={} node={}",
          resource,
          binding.pacemakerResource(),
          binding.node());
    }
  }

  /** Forgets {@code resource}'s binding (it was deleted). */
  public void unbind(String resource) {
    bindings.remove(resource);
    reported.remove(resource);
  }

  public Optional<Binding> binding(String resource) {
    return Optional.ofNullable(bindings.get(resource));
  }

  /** Called with every published status (the agent's subscriber). */
  public void onStatus(ResourceStatus s) {
    Binding b = bindings.get(s.name());
    if (b == null) {
      return;
    }
    boolean faulted =
        s.state() == ResourceState.OFFLINE
            && s.flag().filter(f -> f == FrameworkState.FAULTED).isPresent();
    if (!faulted) {
      if (s.flag().isEmpty()) {
        reported.remove(s.name()); // cleared: a later fault is a new one
      }
      return;
    }
    if (reported.putIfAbsent(s.name(), Boolean.TRUE) != null) {
      return;
    }
    List<String> argv =
        List.of("crm_resource", "--fail", "--resource", b.pacemakerResource(), "--node", b.node());
    worker.execute(
        () -> {
          int code = runner.run(argv, DEADLINE);
          if (code == 0) {
            log.info(
                "pacemaker told of failure resource={} pacemaker={} node={} why={}",
                s.name(),
                b.pacemakerResource(),
                b.node(),
                s.reason());
          } else {
            log.warn(
                "pacemaker not told of failure, its monitor will find it resource={} exit={}",
                s.name(),
                code);
          }
        });
  }

  /** Stops the worker; a command under way is not waited for. */
  public void close() {
    worker.shutdownNow();
  }

  private static int exec(List<String> argv, Duration deadline) {
    try {
      Process p =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
