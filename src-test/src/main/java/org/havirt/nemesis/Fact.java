package org.havirt.nemesis;

/** One truth source's reading of one place at one sample; {@code detail} is for the event log. */
public record Fact(Place place, Copy copy, String detail) {}
