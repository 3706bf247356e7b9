package io.sluice.runtime.llm.chat;

import java.util.Locale;

/**
 * How a reasoning model marks its thinking: DeepSeek-R1, QwQ and Qwen3 write it between {@code
 * <think>} and {@code </think>}, Magistral between {@code [THINK]} and {@code [/THINK]}. The
 * deployment setting {@code reasoningFormat} picks one ({@code think}, {@code mistral}), turns
 * separation off ({@code none}), or leaves it to the chat template ({@code auto}, the default: a
 * template that writes a format's opening tag is a reasoning model's).
 */
public record ReasoningFormat(String open, String close) {
  public static final ReasoningFormat NONE = new ReasoningFormat("", "");
  public static final ReasoningFormat THINK = new ReasoningFormat("<think>", "</think>");
  public static final ReasoningFormat MISTRAL = new ReasoningFormat("[THINK]", "[/THINK]");

  /** The format the setting names, or for {@code auto} the one the template writes. */
  public static ReasoningFormat of(String setting, String template) {
    return switch (setting == null ? "auto" : setting.toLowerCase(Locale.ROOT)) {
      case "auto" ->
          template.contains(THINK.open) ? THINK : template.contains(MISTRAL.open) ? MISTRAL : NONE;
      case "none" -> NONE;
      case "think", "deepseek_r1", "qwen3" -> THINK;
      case "mistral" -> MISTRAL;
      default ->
          throw new IllegalArgumentException(
              "reasoningFormat must be auto, none, think or mistral, got '" + setting + "'");
    };
  }

  public boolean separates() {
    return !open.isEmpty();
  }

  /**
   * Whether a prompt already opened the thinking (templates such as DeepSeek-R1's end the
   * generation prompt with the opening tag), so the answer starts inside it.
   */
  public boolean openedBy(String prompt) {
    return separates() && prompt.stripTrailing().endsWith(open);
  }
}
