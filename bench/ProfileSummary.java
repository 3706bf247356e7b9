import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads async-profiler's collapsed stacks (one line per distinct stack, {@code
 * [thread];frame;frame;... count}, recorded with the {@code threads} option) and prints, as
 * markdown, where the CPU went: by thread group, the frames with the most self time, and the
 * inclusive share of the frames named on the command line.
 *
 * <pre>java bench/ProfileSummary.java FILE.collapsed [TOP] [LABEL=REGEX ...]</pre>
 */
public final class ProfileSummary {
  private static final Pattern DIGITS = Pattern.compile("[-#]?\\d+(-\\d+)*$");

  public static void main(String[] args) throws IOException {
    Path file = Path.of(args[0]);
    int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    Map<String, Pattern> inclusive = new java.util.LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      inclusive.put(args[i].substring(0, eq), Pattern.compile(args[i].substring(eq + 1)));
    }
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> included = new HashMap<>();
    long total = 0;
    for (String line : Files.readAllLines(file)) {
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      long count = Long.parseLong(line.substring(space + 1).trim());
      String[] frames = line.substring(0, space).split(";");
      total += count;
      String thread = frames[0].startsWith("[") ? threadGroup(frames[0]) : "(no thread)";
      threads.merge(thread, count, Long::sum);
      self.merge(frames[frames.length - 1], count, Long::sum);
      Set<String> seen = new HashSet<>();
      for (var entry : inclusive.entrySet()) {
        for (String frame : frames) {
          if (entry.getValue().matcher(frame).find() && seen.add(entry.getKey())) {
            included.merge(entry.getKey(), count, Long::sum);
            break;
          }
        }
      }
    }
    System.out.printf("%s: %,d samples%n%n", file.getFileName(), total);
    table("thread group", threads, total, 20);
    table("self time (top " + top + ")", self, total, top);
    if (!inclusive.isEmpty()) {
      Map<String, Long> ordered = new java.util.LinkedHashMap<>();
      inclusive.keySet().forEach(k -> ordered.put(k, included.getOrDefault(k, 0L)));
      System.out.println("| inclusive | share |");
      System.out.println("|---|---|");
      long all = total;
      ordered.forEach((k, v) -> System.out.printf("| %s | %.1f%% |%n", k, 100.0 * v / all));
      System.out.println();
    }
  }

  /** A thread's name without its number, so that a pool's threads count together. */
  private static String threadGroup(String frame) {
    String name = frame.substring(1, frame.length() - 1);
    int tid = name.lastIndexOf(" tid=");
    if (tid >= 0) {
      name = name.substring(0, tid);
    }
    return DIGITS.matcher(name.trim()).replaceAll("N");
  }

  private static void table(String title, Map<String, Long> counts, long total, int limit) {
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    System.out.println("| " + title + " | share |");
    System.out.println("|---|---|");
    for (var entry : entries.subList(0, Math.min(limit, entries.size()))) {
      String name = entry.getKey().replace("|", "\\|");
      if (name.length() > 110) {
        name = name.substring(0, 107) + "...";
      }
      System.out.printf("| `%s` | %.1f%% |%n", name, 100.0 * entry.getValue() / total);
    }
    System.out.println();
  }
}
