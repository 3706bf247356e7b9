package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The by-value structs of {@code llama.h} as shipped in npm {@code node-llama-cpp@3.22.1}
 * (llama.cpp commit de3ff81), x86-64 SysV. They change between llama.cpp releases: {@code
 * LayoutsTest} checks every field against the header with a C compiler.
 */
public final class Layouts {
  private Layouts() {}

  public static final StructLayout MODEL_PARAMS =
      MemoryLayout.structLayout(
              ADDRESS.withName("devices"),
              ADDRESS.withName("tensor_buft_overrides"),
              JAVA_INT.withName("n_gpu_layers"),
              JAVA_INT.withName("split_mode"),
              JAVA_INT.withName("load_mode"),
              JAVA_INT.withName("lazy_mode"),
              JAVA_INT.withName("main_gpu"),
              MemoryLayout.paddingLayout(4),
              ADDRESS.withName("tensor_split"),
              ADDRESS.withName("progress_callback"),
              ADDRESS.withName("progress_callback_user_data"),
              ADDRESS.withName("kv_overrides"),
              JAVA_BOOLEAN.withName("vocab_only"),
              JAVA_BOOLEAN.withName("check_tensors"),
              JAVA_BOOLEAN.withName("use_extra_bufts"),
              JAVA_BOOLEAN.withName("no_host"),
              JAVA_BOOLEAN.withName("no_alloc"),
              JAVA_BOOLEAN.withName("load_mtp"),
              MemoryLayout.paddingLayout(2))
          .withName("llama_model_params");

  public static final StructLayout CONTEXT_PARAMS =
      MemoryLayout.structLayout(
              JAVA_INT.withName("n_ctx"),
              JAVA_INT.withName("n_batch"),
              JAVA_INT.withName("n_ubatch"),
              JAVA_INT.withName("n_seq_max"),
              JAVA_INT.withName("n_rs_seq"),
              JAVA_INT.withName("n_outputs_max"),
              JAVA_INT.withName("n_outputs_max_per_seq"),
              JAVA_INT.withName("n_threads"),
              JAVA_INT.withName("n_threads_batch"),
              JAVA_INT.withName("ctx_type"),
              JAVA_INT.withName("rope_scaling_type"),
              JAVA_INT.withName("pooling_type"),
              JAVA_INT.withName("attention_type"),
              JAVA_INT.withName("flash_attn_type"),
              JAVA_FLOAT.withName("rope_freq_base"),
              JAVA_FLOAT.withName("rope_freq_scale"),
              JAVA_FLOAT.withName("yarn_ext_factor"),
              JAVA_FLOAT.withName("yarn_attn_factor"),
              JAVA_FLOAT.withName("yarn_beta_fast"),
              JAVA_FLOAT.withName("yarn_beta_slow"),
              JAVA_INT.withName("yarn_orig_ctx"),
              JAVA_FLOAT.withName("defrag_thold"),
              ADDRESS.withName("cb_eval"),
              ADDRESS.withName("cb_eval_user_data"),
              JAVA_INT.withName("type_k"),
              JAVA_INT.withName("type_v"),
              ADDRESS.withName("abort_callback"),
              ADDRESS.withName("abort_callback_data"),
              JAVA_BOOLEAN.withName("embeddings"),
              JAVA_BOOLEAN.withName("offload_kqv"),
              JAVA_BOOLEAN.withName("no_perf"),
              JAVA_BOOLEAN.withName("op_offload"),
              JAVA_BOOLEAN.withName("swa_full"),
              JAVA_BOOLEAN.withName("kv_unified"),
              MemoryLayout.paddingLayout(2),
              ADDRESS.withName("samplers"),
              JAVA_LONG.withName("n_samplers"),
              ADDRESS.withName("ctx_other"))
          .withName("llama_context_params");

  public static final StructLayout BATCH =
      MemoryLayout.structLayout(
              JAVA_INT.withName("n_tokens"),
              MemoryLayout.paddingLayout(4),
              ADDRESS.withName("token"),
              ADDRESS.withName("embd"),
              ADDRESS.withName("pos"),
              ADDRESS.withName("n_seq_id"),
              ADDRESS.withName("seq_id"),
              ADDRESS.withName("logits"))
          .withName("llama_batch");

  public static final StructLayout SAMPLER_CHAIN_PARAMS =
      MemoryLayout.structLayout(JAVA_BOOLEAN.withName("no_perf"))
          .withName("llama_sampler_chain_params");

  public static final StructLayout LOGIT_BIAS =
      MemoryLayout.structLayout(JAVA_INT.withName("token"), JAVA_FLOAT.withName("bias"))
          .withName("llama_logit_bias");

  public static final StructLayout CHAT_MESSAGE =
      MemoryLayout.structLayout(ADDRESS.withName("role"), ADDRESS.withName("content"))
          .withName("llama_chat_message");

  public static final StructLayout PERF_CONTEXT_DATA =
      MemoryLayout.structLayout(
              JAVA_DOUBLE.withName("t_start_ms"),
              JAVA_DOUBLE.withName("t_load_ms"),
              JAVA_DOUBLE.withName("t_p_eval_ms"),
              JAVA_DOUBLE.withName("t_eval_ms"),
              JAVA_INT.withName("n_p_eval"),
              JAVA_INT.withName("n_eval"),
              JAVA_INT.withName("n_reused"),
              MemoryLayout.paddingLayout(4))
          .withName("llama_perf_context_data");

  /** Every struct above, for the layout check. */
  public static final java.util.List<StructLayout> ALL =
      java.util.List.of(
          MODEL_PARAMS,
          CONTEXT_PARAMS,
          BATCH,
          SAMPLER_CHAIN_PARAMS,
          LOGIT_BIAS,
          CHAT_MESSAGE,
          PERF_CONTEXT_DATA);

  public static long offset(StructLayout layout, String field) {
    return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
  }
}
