package org.havirt.nemesis;

import java.util.List;

/**
 * A backend's part of a campaign: its nodes and resources, its faults, its truth, its invariants.
 * The KVM backend is {@link KvmBackend}; the RHEV side plugs in the same way.
 *
 * <p>Contract: {@link #setUp} runs once, before the first schedule, on the campaign's thread; it
 * starts the backend's daemons and agents and returns when every agent is ready. The lists are
 * fixed after it. {@link #close} stops everything it started, guests included, and is called once,
 * even after a failed set-up.
 */
public interface Backend extends AutoCloseable {
  /** {@code kvm}, {@code rhev}. */
  String name();

  /** Starts the backend's part. */
  void setUp(World world) throws Exception;

  List<Lane> lanes();

  List<FaultKind> faults();

  List<TruthSource> truth();

  List<ExtraInvariant> invariants();

  @Override
  void close();
}
