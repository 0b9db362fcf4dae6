package org.havirt.kvm;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.havirt.types.backend.VmEventListener;

/** Records backend events; tests wait for one with a deadline. */
final class EventRecorder implements VmEventListener {
  record Event(String guest, String detail, long atNanos) {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onVmEvent(String guestName, String detail) {
    events.add(new Event(guestName, detail, System.nanoTime()));
  }

  /** Waits for an event about {@code guest} whose detail contains {@code text}; null on timeout. */
  Event await(String guest, String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      Event e = events.poll(left, TimeUnit.NANOSECONDS);
      if (e != null && guest.equals(e.guest()) && e.detail().contains(text)) {
        return e;
      }
    }
  }

  void clear() {
    events.clear();
  }
}
