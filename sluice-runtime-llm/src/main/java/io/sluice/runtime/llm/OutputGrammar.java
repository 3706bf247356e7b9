package io.sluice.runtime.llm;

import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.runtime.llm.chat.ToolCallFormat;
import io.sluice.runtime.llm.chat.ToolCalls;
import io.sluice.runtime.llm.grammar.JsonGrammar;

/** The grammar a request's output must follow: a forced function call, JSON, or none. */
final class OutputGrammar {
  private OutputGrammar() {}

  static String of(GenerateRequest request, ToolCallFormat toolCalls) {
    GenerateOptions options = request.options();
    String call = ToolCalls.grammar(options, toolCalls);
    if (call != null) {
      return call;
    }
    GenerateOptions.ResponseFormat format = options.responseFormat();
    return switch (format.type()) {
      case "text" -> null;
      case "json_object" -> JsonGrammar.anyObject();
      case "json_schema" -> {
        if (format.schema() == null) {
          throw new InvalidInputException("response_format json_schema needs json_schema.schema");
        }
        yield JsonGrammar.of(format.schema());
      }
      default ->
          throw new InvalidInputException(
              "response_format type must be text, json_object or json_schema, got '"
                  + format.type()
                  + "'");
    };
  }
}
