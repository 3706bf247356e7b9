package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Downcall handles for the part of {@code llama.h} and {@code ggml-backend.h} Sluice uses,
 * hand-written (jextract is not on Maven Central). Static finals, so the JIT treats them as
 * constants. The class is initialised by {@link LlamaLibrary#open}, once it has named the folder of
 * the libraries.
 */
final class Native {
  private Native() {}

  static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBRARIES = open();

  private static SymbolLookup open() {
    Path dir = LlamaLibrary.loading;
    if (dir == null) {
      throw new IllegalStateException("LlamaLibrary.open names the libraries' folder first");
    }
    // libllama first: its RUNPATH ($ORIGIN) finds libggml and libggml-base in the same folder
    SymbolLookup llama = SymbolLookup.libraryLookup(find(dir, "libllama."), Arena.global());
    SymbolLookup ggml = SymbolLookup.libraryLookup(find(dir, "libggml."), Arena.global());
    SymbolLookup base = SymbolLookup.libraryLookup(find(dir, "libggml-base."), Arena.global());
    return llama.or(ggml).or(base);
  }

  static Path find(Path dir, String prefix) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              file ->
                  file.getFileName().toString().startsWith(prefix)
                      && file.toString().endsWith(".so"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.so in " + dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(
        LIBRARIES.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), descriptor);
  }

  private static MethodHandle critical(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(
        LIBRARIES.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)),
        descriptor,
        Linker.Option.critical(false));
  }

  // ggml backends
  static final MethodHandle ggml_backend_load =
      handle("ggml_backend_load", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle ggml_backend_load_all_from_path =
      handle("ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDRESS));
  static final MethodHandle ggml_backend_dev_count =
      handle("ggml_backend_dev_count", FunctionDescriptor.of(JAVA_LONG));
  static final MethodHandle ggml_backend_dev_get =
      handle("ggml_backend_dev_get", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
  static final MethodHandle ggml_backend_dev_name =
      handle("ggml_backend_dev_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle ggml_backend_dev_description =
      handle("ggml_backend_dev_description", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle ggml_backend_dev_type =
      handle("ggml_backend_dev_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));

  static final MethodHandle ggml_backend_dev_by_type =
      handle("ggml_backend_dev_by_type", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  static final MethodHandle ggml_backend_dev_backend_reg =
      handle("ggml_backend_dev_backend_reg", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle ggml_backend_reg_get_proc_address =
      handle("ggml_backend_reg_get_proc_address", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  static final MethodHandle ggml_threadpool_params_init =
      handle("ggml_threadpool_params_init", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));

  // process
  static final MethodHandle llama_log_set =
      handle("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
  static final MethodHandle llama_backend_init =
      handle("llama_backend_init", FunctionDescriptor.ofVoid());
  static final MethodHandle llama_print_system_info =
      handle("llama_print_system_info", FunctionDescriptor.of(ADDRESS));

  // model and vocabulary
  static final MethodHandle llama_model_default_params =
      handle("llama_model_default_params", FunctionDescriptor.of(Layouts.MODEL_PARAMS));
  static final MethodHandle llama_model_load_from_file =
      handle(
          "llama_model_load_from_file",
          FunctionDescriptor.of(ADDRESS, ADDRESS, Layouts.MODEL_PARAMS));
  static final MethodHandle llama_model_free =
      handle("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
  static final MethodHandle llama_model_get_vocab =
      handle("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle llama_model_desc =
      handle("llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
  static final MethodHandle llama_model_chat_template =
      handle("llama_model_chat_template", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  static final MethodHandle llama_model_n_ctx_train =
      handle("llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_model_n_layer =
      handle("llama_model_n_layer", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_model_n_embd =
      handle("llama_model_n_embd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_model_n_head =
      handle("llama_model_n_head", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_model_n_head_kv =
      handle("llama_model_n_head_kv", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_model_size =
      handle("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
  static final MethodHandle llama_vocab_n_tokens =
      handle("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_vocab_bos =
      handle("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_vocab_eos =
      handle("llama_vocab_eos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_vocab_get_text =
      handle("llama_vocab_get_text", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
  static final MethodHandle llama_vocab_is_eog =
      handle("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
  static final MethodHandle llama_tokenize =
      handle(
          "llama_tokenize",
          FunctionDescriptor.of(
              JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
  static final MethodHandle llama_token_to_piece =
      handle(
          "llama_token_to_piece",
          FunctionDescriptor.of(
              JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));

  // context, memory, batch
  static final MethodHandle llama_context_default_params =
      handle("llama_context_default_params", FunctionDescriptor.of(Layouts.CONTEXT_PARAMS));
  static final MethodHandle llama_init_from_model =
      handle(
          "llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, Layouts.CONTEXT_PARAMS));
  static final MethodHandle llama_free = handle("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
  static final MethodHandle llama_attach_threadpool =
      handle("llama_attach_threadpool", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
  static final MethodHandle llama_n_ctx =
      handle("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_n_ctx_seq =
      handle("llama_n_ctx_seq", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  static final MethodHandle llama_get_memory =
      handle("llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
  static final MethodHandle llama_memory_seq_rm =
      handle(
          "llama_memory_seq_rm",
          FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
  static final MethodHandle llama_state_seq_get_size =
      handle("llama_state_seq_get_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
  static final MethodHandle llama_state_seq_get_data =
      handle(
          "llama_state_seq_get_data",
          FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
  static final MethodHandle llama_state_seq_set_data =
      handle(
          "llama_state_seq_set_data",
          FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
  static final MethodHandle llama_batch_init =
      handle(
          "llama_batch_init", FunctionDescriptor.of(Layouts.BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
  static final MethodHandle llama_batch_free =
      handle("llama_batch_free", FunctionDescriptor.ofVoid(Layouts.BATCH));
  static final MethodHandle llama_adapter_lora_init =
      handle("llama_adapter_lora_init", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  static final MethodHandle llama_set_adapters_lora =
      handle(
          "llama_set_adapters_lora",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
  static final MethodHandle llama_decode =
      handle("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, Layouts.BATCH));
  static final MethodHandle llama_get_logits_ith =
      critical("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
  static final MethodHandle llama_get_embeddings_seq =
      handle("llama_get_embeddings_seq", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
  static final MethodHandle llama_pooling_type =
      handle("llama_pooling_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));

  // samplers
  static final MethodHandle llama_sampler_chain_default_params =
      handle(
          "llama_sampler_chain_default_params",
          FunctionDescriptor.of(Layouts.SAMPLER_CHAIN_PARAMS));
  static final MethodHandle llama_sampler_chain_init =
      handle(
          "llama_sampler_chain_init", FunctionDescriptor.of(ADDRESS, Layouts.SAMPLER_CHAIN_PARAMS));
  static final MethodHandle llama_sampler_chain_add =
      handle("llama_sampler_chain_add", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
  static final MethodHandle llama_sampler_init_greedy =
      handle("llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
  static final MethodHandle llama_sampler_init_dist =
      handle("llama_sampler_init_dist", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  static final MethodHandle llama_sampler_init_top_k =
      handle("llama_sampler_init_top_k", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  static final MethodHandle llama_sampler_init_top_p =
      handle("llama_sampler_init_top_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
  static final MethodHandle llama_sampler_init_min_p =
      handle("llama_sampler_init_min_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
  static final MethodHandle llama_sampler_init_temp =
      handle("llama_sampler_init_temp", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT));
  static final MethodHandle llama_sampler_init_penalties =
      handle(
          "llama_sampler_init_penalties",
          FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
  static final MethodHandle llama_sampler_init_logit_bias =
      handle(
          "llama_sampler_init_logit_bias",
          FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
  static final MethodHandle llama_sampler_init_grammar =
      handle(
          "llama_sampler_init_grammar", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  static final MethodHandle llama_sampler_sample =
      handle("llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
  static final MethodHandle llama_sampler_free =
      handle("llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));
}
