package org.havirt.agent.core;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.havirt.types.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's control loop: one thread owns every resource's state, so state needs no locks. Other
 * threads {@link #post} work to it; the loop's own code {@link #schedule}s timers against the
 * injected {@link Ticker}. Tests run it by hand with {@link #runDue()} after moving time.
 */
public final class AgentLoop {
  private static final Logger log = LoggerFactory.getLogger(AgentLoop.class);

  /** A scheduled task that can be cancelled; cancelling a task that already ran does nothing. */
  public static final class Timer implements Comparable<Timer> {
    private final long dueNanos;
    private final long order;
    private final Runnable task;
    private boolean cancelled;

    private Timer(long dueNanos, long order, Runnable task) {
      this.dueNanos = dueNanos;
      this.order = order;
      this.task = task;
    }

    public void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(dueNanos - o.dueNanos, 0);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  private final Ticker ticker;
  private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private long order;
  private volatile boolean running;
  private Thread thread;

  public AgentLoop(Ticker ticker) {
    this.ticker = ticker;
  }

  public Ticker ticker() {
    return ticker;
  }

  /** Queues {@code task} to run on the loop. Safe from any thread. */
  public void post(Runnable task) {
    inbox.add(task);
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code task} on the loop after {@code delay}. Loop thread only. */
  public Timer schedule(Duration delay, Runnable task) {
    Timer t = new Timer(ticker.nanoTime() + Math.max(0, delay.toNanos()), order++, task);
    timers.add(t);
    return t;
  }

  /**
   * Runs everything posted and every timer now due; returns how many tasks ran. Loop thread only.
   */
  public int runDue() {
    int ran = 0;
    while (true) {
      Runnable r = inbox.poll();
      if (r == null) {
        Timer t = timers.peek();
        if (t == null || t.dueNanos - ticker.nanoTime() > 0) {
          return ran;
        }
        timers.poll();
        if (t.cancelled) {
          continue;
        }
        r = t.task;
      }
      ran++;
      try {
        r.run();
      } catch (RuntimeException e) {
        // One resource's bug must not stop every other resource's monitoring.
        log.error("agent loop task failed", e);
      }
    }
  }

  /** Starts the loop on its own thread. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    thread = new Thread(this::loop, "havirt-agent-loop");
    thread.start();
  }

  private void loop() {
    while (running) {
      runDue();
      lock.lock();
      try {
        if (!inbox.isEmpty()) {
          continue;
        }
        Timer next = timers.peek();
        long waitNanos =
            next == null ? Duration.ofSeconds(1).toNanos() : next.dueNanos - ticker.nanoTime();
        if (waitNanos > 0) {
          wake.awaitNanos(waitNanos);
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  /** Stops the loop thread; queued work is dropped. */
  public void stop() throws InterruptedException {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    post(() -> {});
    if (t != null) {
      t.join(5000);
    }
  }

  /** Returns whether the caller runs on the loop thread (always true when driven by hand). */
  public boolean onLoop() {
    return thread == null || Thread.currentThread() == thread;
  }
}
