package io.sluice.runtime.llm.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (the GGUF's {@code tokenizer.chat_template}, Jinja as Hugging Face writes it),
 * rendered with Jinjava the way {@code apply_chat_template} renders it: {@code messages}, {@code
 * add_generation_prompt}, {@code bos_token}, {@code eos_token}, {@code raise_exception}. A model without one
 * gets ChatML.
 */
public final class ChatTemplate {
  /** ChatML, the common default (Qwen, many fine-tunes). */
  public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
      + "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private final String template;
  private final String bosToken;
  private final String eosToken;
  private final Jinjava jinja;

  public ChatTemplate(String template, String bosToken, String eosToken) {
    this.template = template == null || template.isBlank() ? CHATML : template;
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
    this.jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(false).build());
    jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
        "raiseException", String.class));
  }

  /** Called by templates that refuse a conversation ("Conversation roles must alternate ..."). */
  public static String raiseException(String message) {
    throw new InvalidInputException("the model's chat template refused the messages: " + message);
  }

  public String template() {
    return template;
  }

  /** The prompt for {@code messages}, ending where the assistant's answer begins. */
  public String render(List<GenerateRequest.ChatMessage> messages) {
    if (messages.isEmpty()) {
      throw new InvalidInputException("messages must not be empty");
    }
    List<Map<String, Object>> turns = new ArrayList<>();
    for (GenerateRequest.ChatMessage message : messages) {
      Map<String, Object> turn = new LinkedHashMap<>();
      turn.put("role", message.role());
      turn.put("content", message.content());
      turns.add(turn);
    }
    Map<String, Object> context = new HashMap<>();
    context.put("messages", turns);
    context.put("add_generation_prompt", true);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    RenderResult result;
    try {
      result = jinja.renderForResult(template, context);
    } catch (InvalidInputException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof InvalidInputException)) {
        cause = cause.getCause();
      }
      if (cause instanceof InvalidInputException refused) {
        throw refused;
      }
      throw new IllegalStateException("the model's chat template failed: " + e.getMessage(), e);
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        String message = String.valueOf(error.getMessage());
        if (message.contains("refused the messages")) {
          throw new InvalidInputException(message.substring(message.indexOf("the model's chat template")));
        }
        throw new IllegalStateException("the model's chat template failed: " + message);
      }
    }
    return result.getOutput();
  }
}
