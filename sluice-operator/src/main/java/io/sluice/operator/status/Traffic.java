package io.sluice.operator.status;

import java.util.List;

/**
 * Which revisions take traffic, decided from what is ready: the latest revision takes everything
 * once it is ready, or its canary share while the previously rolled-out revision keeps the rest;
 * until it is ready the previous one keeps everything.
 *
 * @param latest the latest created revision
 * @param previous the revision rolled out before it (null when none)
 * @param latestPercent the latest revision's share, 0-100
 * @param retired revisions no traffic will reach again, to delete
 */
public record Traffic(String latest, String previous, int latestPercent, List<String> retired) {
  /**
   * @param revisions every revision that exists, oldest first
   * @param latestReady whether the latest has a ready pod
   * @param rolledOut the revision that last took all traffic (from the status), or null
   * @param canaryPercent the spec's canaryTrafficPercent, or null
   */
  public static Traffic decide(
      List<String> revisions, boolean latestReady, String rolledOut, Integer canaryPercent) {
    String latest = revisions.getLast();
    String previous =
        rolledOut != null && !rolledOut.equals(latest) && revisions.contains(rolledOut)
            ? rolledOut
            : null;
    int percent;
    if (previous == null) {
      percent = 100;
    } else if (!latestReady) {
      percent = 0;
    } else {
      percent = canaryPercent == null ? 100 : canaryPercent;
    }
    String keep = percent == 100 && latestReady ? null : previous;
    List<String> retired =
        revisions.stream().filter(r -> !r.equals(latest) && !r.equals(keep)).toList();
    return new Traffic(latest, percent == 100 && latestReady ? null : previous, percent, retired);
  }

  /** Whether every request goes to the latest revision. */
  public boolean rolledOut() {
    return previous == null;
  }
}
