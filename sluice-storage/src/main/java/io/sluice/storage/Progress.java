package io.sluice.storage;

/** Told how a download advances; the CLI draws a bar, tests stay quiet. */
public interface Progress {
  /**
   * @param total the full size in bytes, or -1 when unknown
   */
  void update(String what, long done, long total);

  void finished(String what);

  Progress SILENT =
      new Progress() {
        @Override
        public void update(String what, long done, long total) {}

        @Override
        public void finished(String what) {}
      };

  /** A one-line bar on standard error, redrawn at most every 200 ms. */
  static Progress console() {
    return new Progress() {
      private long lastDraw;

      @Override
      public synchronized void update(String what, long done, long total) {
        long now = System.nanoTime();
        if (now - lastDraw < 200_000_000L && done != total) {
          return;
        }
        lastDraw = now;
        if (total > 0) {
          int percent = (int) (100 * done / total);
          String bar = "#".repeat(percent / 4) + " ".repeat(25 - percent / 4);
          System.err.printf(
              "\r%s [%s] %3d%% %d/%d MiB", what, bar, percent, done >> 20, total >> 20);
        } else {
          System.err.printf("\r%s %d MiB", what, done >> 20);
        }
      }

      @Override
      public void finished(String what) {
        System.err.printf("\r%s done%s%n", what, " ".repeat(40));
      }
    };
  }
}
