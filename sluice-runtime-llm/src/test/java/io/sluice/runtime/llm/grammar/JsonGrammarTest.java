package io.sluice.runtime.llm.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Schemas to grammars. That the grammars constrain a real model's output is shown by {@code
 * LlamaRuntimeTest} and {@code LlmTest}; here: the rules' shape, refusals, and that any client-sent
 * schema gives a grammar or an input error (fuzzed).
 */
class JsonGrammarTest {
  @Test
  void requiredPropertiesComeInOrderAndOptionalOnesMayBeLeftOut() {
    String grammar =
        JsonGrammar.of(
            """
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":3},"c":{"type":"boolean"}},
         "required":["a","b"]}""");
    assertThat(grammar).startsWith("root ::= root-value-");
    assertThat(grammar)
        .contains("\"\\\"a\\\"\" ws \":\" ws integer ws \",\" ws \"\\\"b\\\"\" ws \":\" ws ");
    assertThat(grammar).contains("( \",\" ws \"\\\"c\\\"\" ws \":\" ws boolean ws )?");
    assertThat(grammar).contains("char{0,3}");
  }

  @Test
  void enumsConstsAndReferencesBecomeLiteralsAndRules() {
    String grammar =
        JsonGrammar.of(
            """
        {"$defs":{"node":{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}}}},
         "type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2,"minItems":1,
         "prefix":{"const":"x"}}""");
    assertThat(grammar).contains("ref-node-");
    assertThat(grammar).contains("){0,1}");
    assertThat(JsonGrammar.of("{\"enum\":[\"a\",1,null]}"))
        .contains("\"\\\"a\\\"\" | \"1\" | \"null\"");
  }

  @Test
  void unknownTypesAndForeignReferencesAreInputErrors() {
    assertThatThrownBy(() -> JsonGrammar.of("{\"type\":\"tuple\"}"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> JsonGrammar.of("{\"$ref\":\"https://example.com/s.json\"}"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> JsonGrammar.of("{\"$ref\":\"#/$defs/missing\"}"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> JsonGrammar.of("not json")).isInstanceOf(InvalidInputException.class);
  }

  @FuzzTest(maxDuration = "30s")
  void anySchemaGivesAGrammarOrAnInputError(byte[] bytes) {
    try {
      String grammar = JsonGrammar.of(new String(bytes, StandardCharsets.UTF_8));
      assertThat(grammar).startsWith("root ::= ");
    } catch (SluiceException expected) {
      // a 400 naming the problem
    }
  }
}
