package io.sluice.protocol.openai.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.ErrorStatus;
import io.sluice.pipelines.voice.TurnDetector;
import io.sluice.pipelines.voice.VoiceActivity;
import io.sluice.pipelines.voice.VoicePipeline;
import io.sluice.protocol.openai.InvalidParameterException;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One OpenAI Realtime conversation over a WebSocket, on a voice pipeline: the client streams audio
 * ({@code input_audio_buffer.append}); Silero VAD ({@link VoiceActivity}, {@link TurnDetector})
 * finds where the user starts and stops speaking, or the client commits; a committed turn is
 * transcribed, becomes a user item, and (with {@code create_response}) is answered: the LLM's text
 * streams as the audio transcript (or as text) while each finished piece is spoken and streamed as
 * audio. Speech during a reply cancels it (barge-in). Every client event is handled on the socket's
 * event loop, engine results are brought back to it, so the session's state needs no locks; a bad
 * event gets an {@code error} event and the session goes on.
 */
public final class RealtimeSession {
  private static final Logger log = LoggerFactory.getLogger(RealtimeSession.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The shortest buffer a commit takes, as OpenAI's (100 ms). */
  private static final int MIN_COMMIT_MS = 100;

  /** The longest input buffer kept: older audio is dropped (a client that never commits). */
  private static final int MAX_BUFFER_SECONDS = 300;

  private final ServerWebSocket socket;
  private final Context context;
  private final VoicePipeline pipeline;
  private final EngineClient engine;
  private final SessionSettings settings;
  private final String id = newId("sess_");
  private long events;

  /** The input buffer (not yet committed), at the input format's rate. */
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

  /** Audio time of the buffer's first sample, ms since the session's first appended sample. */
  private long bufferStartMs;

  /** Audio appended so far, in samples at the input rate. */
  private long appendedSamples;

  private VoiceActivity vad;
  private TurnDetector turns;
  private final ArrayDeque<float[]> vadFrames = new ArrayDeque<>();
  private short[] vadCarry = new short[0];
  private boolean vadBusy;
  private long speechStartMs = -1;
  private String speechItem;

  /** How much more speech a partial transcription waits for after the previous one. */
  private static final int PARTIAL_EVERY_MS = 500;

  private boolean partialBusy;
  private long partialAtMs;

  /** The start of the turn's transcript already sent as deltas: settled words of partials. */
  private String emitted = "";

  private final List<Item> items = new ArrayList<>();
  private Response response;

  private boolean closed;

  /**
   * A conversation item: a message (user, assistant or system; its text known or still to come), a
   * function call the model made, or a function call's output the client gave.
   */
  private static final class Item {
    final String id;
    final String type;
    final String role;
    final String contentType;
    String text;
    String status = "completed";
    String callId;
    String name;

    /** An assistant item's spoken pieces: {text length through the piece, audio end ms}. */
    final List<long[]> spoken = new ArrayList<>();

    Item(String id, String role, String contentType, String text) {
      this("message", id, role, contentType, text);
    }

    Item(String type, String id, String role, String contentType, String text) {
      this.type = type;
      this.id = id;
      this.role = role;
      this.contentType = contentType;
      this.text = text;
    }

    static Item functionCall(String id, String callId, String name, String arguments) {
      Item item = new Item("function_call", id, null, null, arguments);
      item.callId = callId;
      item.name = name;
      return item;
    }

    static Item functionOutput(String id, String callId, String output) {
      Item item = new Item("function_call_output", id, null, null, output);
      item.callId = callId;
      return item;
    }

    /** What the LLM reads of it; null when nothing (a message without text yet). */
    GenerateRequest.ChatMessage message() {
      return switch (type) {
        case "function_call" ->
            new GenerateRequest.ChatMessage(
                "assistant", "", List.of(new GenerateRequest.ToolCall(callId, name, text)), null);
        case "function_call_output" -> new GenerateRequest.ChatMessage("tool", text, null, callId);
        default ->
            text == null || text.isEmpty() ? null : new GenerateRequest.ChatMessage(role, text);
      };
    }
  }

  /** The response being produced. */
  private final class Response {
    final String id = newId("resp_");
    final Item item;
    final boolean audio;
    final StringBuilder text = new StringBuilder();
    long audioSamples;
    String speaking;
    final List<Item> calls = new ArrayList<>();
    CompletableFuture<VoicePipeline.Turn> turn;
    boolean over;

    Response(boolean audio) {
      this.audio = audio;
      this.item = new Item(newId("item_"), "assistant", audio ? "output_audio" : "output_text", "");
    }
  }

  public RealtimeSession(
      ServerWebSocket socket,
      Context context,
      VoicePipeline pipeline,
      EngineClient engine,
      String model) {
    this.socket = socket;
    this.context = context;
    this.pipeline = pipeline;
    this.engine = engine;
    this.settings = new SessionSettings(model, pipeline.spec().vad() != null);
  }

  /** Says hello ({@code session.created}) and starts taking events. */
  public void start() {
    resetVad(0);
    socket.textMessageHandler(this::receive);
    socket.binaryMessageHandler(
        ignored ->
            error(
                "invalid_value",
                null,
                null,
                "events are JSON text messages; binary messages are not taken"));
    socket.closeHandler(ignored -> close());
    socket.exceptionHandler(e -> log.debug("realtime socket: {}", e.toString()));
    ObjectNode created = event("session.created");
    created.set("session", sessionJson());
    send(created);
  }

  private void close() {
    closed = true;
    if (response != null && response.turn != null) {
      response.turn.cancel(false);
    }
  }

  private void receive(String text) {
    JsonNode event;
    try {
      event = MAPPER.readTree(text);
    } catch (Exception e) {
      error("invalid_json", null, null, "the event is not JSON: " + e.getMessage());
      return;
    }
    String eventId = event.path("event_id").isTextual() ? event.get("event_id").asText() : null;
    if (!event.isObject() || !event.path("type").isTextual()) {
      error("invalid_value", "type", eventId, "an event is a JSON object with a string 'type'");
      return;
    }
    try {
      handle(event.get("type").asText(), event);
    } catch (InvalidParameterException e) {
      error(e.code(), e.param(), eventId, e.getMessage());
    } catch (RuntimeException e) {
      error(
          "invalid_value",
          null,
          eventId,
          ErrorStatus.message(e) == null ? e.toString() : ErrorStatus.message(e));
    }
  }

  private void handle(String type, JsonNode event) {
    switch (type) {
      case "session.update" -> {
        TurnDetector.Settings before = settings.turnDetection;
        settings.update(event.get("session"), pipeline.spec().vad() != null);
        if (!java.util.Objects.equals(before, settings.turnDetection)) {
          resetVad(turns != null ? turns.nowMs() : vadStartMs());
        }
        ObjectNode updated = event("session.updated");
        updated.set("session", sessionJson());
        send(updated);
      }
      case "input_audio_buffer.append" -> append(event);
      case "input_audio_buffer.commit" -> {
        if (audioMs(buffer.size() / 2) < MIN_COMMIT_MS) {
          throw new InvalidParameterException(
              null,
              "input_audio_buffer_commit_empty",
              "buffer too small: expected at least "
                  + MIN_COMMIT_MS
                  + " ms of audio, but buffer only has "
                  + audioMs(buffer.size() / 2)
                  + " ms");
        }
        commit(false);
      }
      case "input_audio_buffer.clear" -> {
        clearBuffer();
        send(event("input_audio_buffer.cleared"));
      }
      case "conversation.item.create" -> createItem(event);
      case "conversation.item.delete" -> {
        Item item = item(event);
        items.remove(item);
        ObjectNode deleted = event("conversation.item.deleted");
        deleted.put("item_id", item.id);
        send(deleted);
      }
      case "conversation.item.retrieve" -> {
        ObjectNode retrieved = event("conversation.item.retrieved");
        retrieved.set("item", itemJson(item(event)));
        send(retrieved);
      }
      case "conversation.item.truncate" -> truncate(event);
      case "response.create" -> {
        if (response != null) {
          throw new InvalidParameterException(
              null,
              "conversation_already_has_active_response",
              "Conversation already has an active response in progress: " + response.id);
        }
        respond(event.path("response"));
      }
      case "response.cancel" -> {
        if (response == null) {
          throw new InvalidParameterException(
              null, "response_cancel_not_active", "There is no active response to cancel");
        }
        cancel("client_cancelled");
      }
      default ->
          throw new InvalidParameterException(
              "type", "invalid_value", "Invalid value: '" + type + "' is not a client event type");
    }
  }

  // ---- input audio

  /**
   * A new turn detector from audio time {@code atMs} (the next frame the VAD reads), or none; a
   * turn in progress is forgotten.
   */
  private void resetVad(long atMs) {
    speechStartMs = -1;
    speechItem = null;
    if (settings.turnDetection == null || pipeline.spec().vad() == null) {
      vad = null;
      turns = null;
      vadFrames.clear();
      vadCarry = new short[0];
      return;
    }
    if (vad == null) {
      vad = new VoiceActivity(engine, pipeline.spec().vad());
    }
    turns = new TurnDetector(settings.turnDetection, VoiceActivity.FRAME_MS, atMs);
  }

  /** The audio time of the next frame the VAD will read: what was appended, less what waits. */
  private long vadStartMs() {
    return audioMs(appendedSamples - vadCarry.length)
        - (long) vadFrames.size() * VoiceActivity.FRAME_MS;
  }

  private void append(JsonNode event) {
    JsonNode audio = event.get("audio");
    if (audio == null || !audio.isTextual()) {
      throw new InvalidParameterException(
          "audio", "invalid_value", "audio must be a base64 string");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(audio.asText());
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException("audio", "invalid_value", "audio is not valid base64");
    }
    if (settings.input == AudioFormat.PCM && bytes.length % 2 != 0) {
      throw new InvalidParameterException(
          "audio", "invalid_value", "audio/pcm is 16-bit samples: an even number of bytes");
    }
    short[] samples = settings.input.decode(bytes);
    buffer.writeBytes(
        settings.input == AudioFormat.PCM
            ? bytes
            : new Pcm16(samples, settings.input.rate).rawBytes());
    appendedSamples += samples.length;
    int maxBytes = MAX_BUFFER_SECONDS * settings.input.rate * 2;
    if (buffer.size() > maxBytes) {
      byte[] kept = buffer.toByteArray();
      int drop = kept.length - maxBytes;
      buffer.reset();
      buffer.write(kept, drop, maxBytes);
      bufferStartMs += audioMs(drop / 2);
    }
    if (turns != null) {
      frames(samples);
      nextFrame();
      partial();
    }
  }

  /**
   * While the user speaks, transcribes the turn so far every {@link #PARTIAL_EVERY_MS} of new
   * speech: its settled words (all but the last), when they extend what was sent, are sent as
   * transcription deltas, and (with {@code prefillWhileSpeaking}) given to the LLM, so that its
   * prefix cache holds all but the last words when the turn ends.
   */
  private void partial() {
    long bufferEndMs = bufferStartMs + audioMs(buffer.size() / 2);
    if (partialBusy
        || speechItem == null
        || speechStartMs < 0
        || bufferEndMs - Math.max(speechStartMs, partialAtMs) < PARTIAL_EVERY_MS) {
      return;
    }
    partialBusy = true;
    partialAtMs = bufferEndMs;
    String turn = speechItem;
    pipeline
        .transcribe(new Pcm16(turnSamples(), settings.input.rate).wavBytes())
        .whenComplete(
            (text, error) ->
                context.runOnContext(
                    ignored -> {
                      partialBusy = false;
                      if (error != null || closed || !turn.equals(speechItem)) {
                        return;
                      }
                      String stable = settled(text);
                      if (stable.length() <= emitted.length() || !stable.startsWith(emitted)) {
                        return;
                      }
                      transcriptDelta(turn, stable.substring(emitted.length()));
                      emitted = stable;
                      if (pipeline.spec().prefillWhileSpeaking()) {
                        List<GenerateRequest.ChatMessage> conversation = conversation();
                        conversation.add(new GenerateRequest.ChatMessage("user", stable));
                        pipeline
                            .prefill(conversation, settings.instructions)
                            .exceptionally(failed -> null);
                      }
                    }));
  }

  /**
   * The words of a partial transcript that later audio is unlikely to change: all but the last,
   * which the audio may have cut mid-word.
   */
  private static String settled(String partial) {
    String[] words = partial.isBlank() ? new String[0] : partial.strip().split("\\s+");
    return String.join(
        " ", java.util.Arrays.asList(words).subList(0, Math.max(0, words.length - 1)));
  }

  private void transcriptDelta(String itemId, String text) {
    ObjectNode delta = event("conversation.item.input_audio_transcription.delta");
    delta.put("item_id", itemId);
    delta.put("content_index", 0);
    delta.put("delta", text);
    send(delta);
  }

  /** The buffer from the turn's start (less the padding), or all of it without a detected start. */
  private short[] turnSamples() {
    byte[] pcm = buffer.toByteArray();
    int from = 0;
    if (speechStartMs >= 0) {
      from =
          (int)
              Math.min(
                  pcm.length, (speechStartMs - bufferStartMs) * settings.input.rate / 1000 * 2);
    }
    return Pcm16.raw(java.util.Arrays.copyOfRange(pcm, from, pcm.length), settings.input.rate)
        .samples();
  }

  /** Cuts the samples into 32 ms frames at 16 kHz for the VAD. */
  private void frames(short[] samples) {
    int perFrame = settings.input.rate * VoiceActivity.FRAME_MS / 1000;
    short[] all = new short[vadCarry.length + samples.length];
    System.arraycopy(vadCarry, 0, all, 0, vadCarry.length);
    System.arraycopy(samples, 0, all, vadCarry.length, samples.length);
    int offset = 0;
    for (; offset + perFrame <= all.length; offset += perFrame) {
      short[] frame = java.util.Arrays.copyOfRange(all, offset, offset + perFrame);
      short[] at16k =
          settings.input.rate == VoiceActivity.RATE
              ? frame
              : new Pcm16(frame, settings.input.rate).resample(VoiceActivity.RATE).samples();
      float[] floats = new float[VoiceActivity.FRAME];
      for (int i = 0; i < floats.length && i < at16k.length; i++) {
        floats[i] = at16k[i] / 32768f;
      }
      vadFrames.add(floats);
    }
    vadCarry = java.util.Arrays.copyOfRange(all, offset, all.length);
  }

  private void nextFrame() {
    if (vadBusy || vadFrames.isEmpty() || vad == null || closed) {
      return;
    }
    vadBusy = true;
    VoiceActivity detector = vad;
    detector
        .next(vadFrames.poll())
        .whenComplete(
            (probability, error) ->
                context.runOnContext(
                    ignored -> {
                      vadBusy = false;
                      if (error != null) {
                        vadFrames.clear();
                        error(
                            "vad_failed",
                            null,
                            null,
                            "voice activity detection failed: " + ErrorStatus.message(error));
                        return;
                      }
                      if (detector == vad && turns != null) {
                        TurnDetector.Change change = turns.frame(probability);
                        if (change != null) {
                          turnChanged(change);
                        }
                      }
                      nextFrame();
                      partial(); // the VAD may run behind the audio: a turn it finds late
                    }));
  }

  private void turnChanged(TurnDetector.Change change) {
    if (change.started()) {
      speechStartMs = Math.max(change.atMs(), bufferStartMs);
      speechItem = newId("item_");
      ObjectNode started = event("input_audio_buffer.speech_started");
      started.put("audio_start_ms", speechStartMs);
      started.put("item_id", speechItem);
      send(started);
      if (response != null && settings.interruptResponse) {
        cancel("turn_detected");
      }
      return;
    }
    ObjectNode stopped = event("input_audio_buffer.speech_stopped");
    stopped.put("audio_end_ms", change.atMs());
    stopped.put("item_id", speechItem);
    send(stopped);
    if (audioMs(buffer.size() / 2) >= MIN_COMMIT_MS) { // not already committed by the client
      commit(settings.createResponse);
    }
  }

  private void clearBuffer() {
    bufferStartMs += audioMs(buffer.size() / 2);
    buffer.reset();
    speechStartMs = -1;
    speechItem = null;
    emitted = "";
    partialAtMs = 0;
  }

  /** Commits the buffer as a user item, transcribes it, and answers it when asked to. */
  private void commit(boolean thenRespond) {
    String itemId = speechItem != null ? speechItem : newId("item_");
    String previous = items.isEmpty() ? null : items.getLast().id;
    short[] samples = turnSamples();
    String sent = emitted;
    clearBuffer();
    Item item = new Item(itemId, "user", "input_audio", null);
    items.add(item);
    ObjectNode committed = event("input_audio_buffer.committed");
    if (previous == null) {
      committed.putNull("previous_item_id");
    } else {
      committed.put("previous_item_id", previous);
    }
    committed.put("item_id", itemId);
    send(committed);
    itemEvent("conversation.item.added", item, previous);
    itemEvent("conversation.item.done", item, previous);
    byte[] wav = new Pcm16(samples, settings.input.rate).wavBytes();
    pipeline
        .transcribe(wav)
        .whenComplete(
            (text, error) ->
                context.runOnContext(
                    ignored -> {
                      if (error != null) {
                        ObjectNode failed =
                            event("conversation.item.input_audio_transcription.failed");
                        failed.put("item_id", itemId);
                        failed.put("content_index", 0);
                        ObjectNode detail = failed.putObject("error");
                        detail.put("type", "transcription_error");
                        detail.put("message", String.valueOf(ErrorStatus.message(error)));
                        send(failed);
                        return;
                      }
                      item.text = text;
                      if (text.startsWith(sent) && text.length() > sent.length()) {
                        transcriptDelta(itemId, text.substring(sent.length()));
                      }
                      ObjectNode completed =
                          event("conversation.item.input_audio_transcription.completed");
                      completed.put("item_id", itemId);
                      completed.put("content_index", 0);
                      completed.put("transcript", text);
                      send(completed);
                      if (thenRespond && !text.isEmpty() && response == null && !closed) {
                        respond(MAPPER.createObjectNode());
                      }
                    }));
  }

  // ---- conversation items

  private void createItem(JsonNode event) {
    JsonNode item = event.get("item");
    if (item == null || !item.isObject()) {
      throw new InvalidParameterException("item", "invalid_value", "item must be an object");
    }
    String type = item.path("type").asText("message");
    String id = item.path("id").isTextual() ? item.get("id").asText() : newId("item_");
    String previous = items.isEmpty() ? null : items.getLast().id;
    if (type.equals("function_call_output") || type.equals("function_call")) {
      if (!item.path("call_id").isTextual()) {
        throw new InvalidParameterException(
            "item.call_id", "invalid_value", type + " needs a call_id");
      }
      Item created =
          type.equals("function_call")
              ? Item.functionCall(
                  id,
                  item.get("call_id").asText(),
                  item.path("name").asText(""),
                  item.path("arguments").asText("{}"))
              : Item.functionOutput(
                  id, item.get("call_id").asText(), item.path("output").asText(""));
      items.add(created);
      itemEvent("conversation.item.added", created, previous);
      itemEvent("conversation.item.done", created, previous);
      return;
    }
    if (!type.equals("message")) {
      throw new InvalidParameterException(
          "item.type",
          "invalid_value",
          "item type '"
              + type
              + "' is not supported; supported: message, function_call, function_call_output");
    }
    String role = item.path("role").asText("");
    if (!List.of("user", "assistant", "system").contains(role)) {
      throw new InvalidParameterException(
          "item.role", "invalid_value", "role must be user, assistant or system");
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : item.path("content")) {
      String partType = part.path("type").asText("");
      switch (partType) {
        case "input_text", "text", "output_text" -> text.append(part.path("text").asText(""));
        case "input_audio", "output_audio", "audio" -> {
          if (part.hasNonNull("transcript")) {
            text.append(part.get("transcript").asText());
          } else {
            throw new InvalidParameterException(
                "item.content",
                "invalid_value",
                "audio content is taken through input_audio_buffer.append; here only with a"
                    + " transcript");
          }
        }
        default ->
            throw new InvalidParameterException(
                "item.content",
                "invalid_value",
                "content type '" + partType + "' is not supported");
      }
    }
    Item created =
        new Item(
            id, role, role.equals("assistant") ? "output_text" : "input_text", text.toString());
    items.add(created);
    itemEvent("conversation.item.added", created, previous);
    itemEvent("conversation.item.done", created, previous);
  }

  private Item item(JsonNode event) {
    String wanted = event.path("item_id").asText(null);
    for (Item item : items) {
      if (item.id.equals(wanted)) {
        return item;
      }
    }
    throw new InvalidParameterException(
        "item_id", "item_not_found", "Item with item_id not found: " + wanted);
  }

  /**
   * Trims an assistant item to what was heard: the text of the pieces whose audio ended by {@code
   * audio_end_ms}, and of the piece being spoken then, the share of its words that had been.
   */
  private void truncate(JsonNode event) {
    Item item = item(event);
    long endMs = event.path("audio_end_ms").asLong(-1);
    if (endMs < 0) {
      throw new InvalidParameterException(
          "audio_end_ms", "invalid_value", "audio_end_ms must be at least 0");
    }
    if (!item.role.equals("assistant")) {
      throw new InvalidParameterException(
          "item_id", "invalid_value", "only assistant items are truncated");
    }
    List<long[]> ends = item.spoken;
    if (!ends.isEmpty() && item.text != null) {
      long audioEnd = ends.getLast()[1];
      if (endMs > audioEnd) {
        throw new InvalidParameterException(
            "audio_end_ms",
            "invalid_value",
            "audio content end ms ("
                + endMs
                + ") cannot exceed the audio's length ("
                + audioEnd
                + " ms)");
      }
      int keep = 0;
      long pieceStartMs = 0;
      int pieceStartChar = 0;
      for (long[] end : ends) {
        if (end[1] <= endMs) {
          keep = (int) end[0];
        } else {
          double heard = (double) (endMs - pieceStartMs) / Math.max(1, end[1] - pieceStartMs);
          keep = pieceStartChar + (int) Math.round(heard * (end[0] - pieceStartChar));
          break;
        }
        pieceStartMs = end[1];
        pieceStartChar = (int) end[0];
      }
      item.text = item.text.substring(0, Math.min(keep, item.text.length())).strip();
    }
    ObjectNode truncated = event("conversation.item.truncated");
    truncated.put("item_id", item.id);
    truncated.put("content_index", event.path("content_index").asInt(0));
    truncated.put("audio_end_ms", endMs);
    send(truncated);
  }

  // ---- responses

  /** The conversation's messages whose text is known, oldest first. */
  private List<GenerateRequest.ChatMessage> conversation() {
    List<GenerateRequest.ChatMessage> conversation = new ArrayList<>();
    for (Item item : items) {
      GenerateRequest.ChatMessage message = item.message();
      if (message != null) {
        conversation.add(message);
      }
    }
    return conversation;
  }

  private void respond(JsonNode options) {
    boolean audio =
        options.has("output_modalities")
            ? SessionSettings.modalities(
                options.get("output_modalities"), "response.output_modalities")
            : settings.audioOut;
    String instructions =
        options.path("instructions").isTextual()
            ? options.get("instructions").asText()
            : settings.instructions;
    List<io.sluice.api.GenerateOptions.Tool> tools =
        options.has("tools")
            ? SessionSettings.tools(options.get("tools"), "response.tools")
            : settings.tools;
    String toolChoice =
        options.has("tool_choice")
            ? SessionSettings.toolChoice(options.get("tool_choice"), "response.tool_choice")
            : settings.toolChoice;
    Integer maxTokens =
        options.has("max_output_tokens")
            ? SessionSettings.maxTokens(
                options.get("max_output_tokens"), "response.max_output_tokens")
            : settings.maxOutputTokens;
    List<GenerateRequest.ChatMessage> conversation = conversation();
    if (conversation.isEmpty()) {
      throw new InvalidParameterException(
          null, "invalid_value", "the conversation has nothing to answer yet");
    }
    io.sluice.api.GenerateOptions llmOptions =
        tools.isEmpty()
            ? io.sluice.api.GenerateOptions.NONE
            : new io.sluice.api.GenerateOptions(
                null, null, null, null, null, null, null, null, false, tools, toolChoice);
    Response current = new Response(audio);
    response = current;
    ObjectNode created = event("response.created");
    created.set("response", responseJson(current, "in_progress", null));
    send(created);
    String previous = items.isEmpty() ? null : items.getLast().id;
    current.item.status = "in_progress";
    items.add(current.item);
    send(outputItem("response.output_item.added", current, 0, current.item));
    itemEvent("conversation.item.added", current.item, previous);
    ObjectNode part = event("response.content_part.added");
    partFields(part, current);
    part.set("part", partJson(current));
    send(part);
    current.turn =
        pipeline.respond(
            conversation,
            instructions,
            audio,
            new VoicePipeline.Reply(llmOptions, maxTokens, settings.voice),
            new VoicePipeline.Listener() {
              @Override
              public void toolCall(GenerateRequest.ToolCall call) {
                context.runOnContext(ignored -> called(current, call));
              }

              @Override
              public void transcript(String text) {}

              @Override
              public void reply(String delta) {
                context.runOnContext(ignored -> replied(current, delta));
              }

              @Override
              public void speech(List<Tensor> chunk) {}

              @Override
              public void speech(String piece, List<Tensor> chunk) {
                context.runOnContext(ignored -> spoke(current, piece, chunk));
              }
            });
    current.turn.whenComplete(
        (turn, error) -> context.runOnContext(ignored -> finished(current, turn, error)));
  }

  /** A function the model called: its own output item, its arguments in one delta. */
  private void called(Response current, GenerateRequest.ToolCall call) {
    if (current.over) {
      return;
    }
    String callId = call.id() == null ? newId("call_") : call.id();
    Item item = Item.functionCall(newId("item_"), callId, call.name(), call.arguments());
    item.status = "in_progress";
    int index = current.calls.size() + 1;
    current.calls.add(item);
    String previous = items.isEmpty() ? null : items.getLast().id;
    items.add(item);
    send(outputItem("response.output_item.added", current, index, item));
    itemEvent("conversation.item.added", item, previous);
    ObjectNode delta = callEvent("response.function_call_arguments.delta", current, index, item);
    delta.put("delta", call.arguments());
    send(delta);
    ObjectNode done = callEvent("response.function_call_arguments.done", current, index, item);
    done.put("name", call.name());
    done.put("arguments", call.arguments());
    send(done);
    item.status = "completed";
    send(outputItem("response.output_item.done", current, index, item));
    itemEvent("conversation.item.done", item, previous);
  }

  private ObjectNode outputItem(String type, Response current, int index, Item item) {
    ObjectNode event = event(type);
    event.put("response_id", current.id);
    event.put("output_index", index);
    event.set("item", itemJson(item));
    return event;
  }

  private ObjectNode callEvent(String type, Response current, int index, Item call) {
    ObjectNode event = event(type);
    event.put("response_id", current.id);
    event.put("item_id", call.id);
    event.put("output_index", index);
    event.put("call_id", call.callId);
    return event;
  }

  private void replied(Response current, String delta) {
    if (current.over) {
      return;
    }
    current.text.append(delta);
    ObjectNode event =
        event(
            current.audio
                ? "response.output_audio_transcript.delta"
                : "response.output_text.delta");
    partFields(event, current);
    event.put("delta", delta);
    send(event);
  }

  private void spoke(Response current, String piece, List<Tensor> chunk) {
    if (current.over) {
      return;
    }
    Tensor audio = chunk.stream().filter(t -> t.name().equals("audio")).findFirst().orElse(null);
    if (audio == null) {
      return;
    }
    Pcm16 speech = Pcm16.wav(audio.bytesElements().getFirst()).resample(settings.output.rate);
    byte[] encoded = settings.output.encode(speech.samples());
    current.audioSamples += speech.samples().length;
    long endMs = current.audioSamples * 1000 / settings.output.rate;
    List<long[]> spoken = current.item.spoken;
    if (piece != current.speaking) { // the next piece: where its text ends in the reply
      int from = spoken.isEmpty() ? 0 : (int) spoken.getLast()[0];
      String words = piece.strip();
      int at = current.text.indexOf(words, from);
      int end =
          at < 0 ? Math.min(current.text.length(), from + piece.length()) : at + words.length();
      spoken.add(new long[] {end, endMs});
      current.speaking = piece;
    } else {
      spoken.getLast()[1] = endMs;
    }
    ObjectNode event = event("response.output_audio.delta");
    partFields(event, current);
    event.put("delta", Base64.getEncoder().encodeToString(encoded));
    send(event);
  }

  private void cancel(String reason) {
    Response current = response;
    if (current == null || current.over) {
      return;
    }
    current.turn.cancel(false);
    finish(current, "cancelled", reason, null);
  }

  private void finished(Response current, VoicePipeline.Turn turn, Throwable error) {
    if (current.over) {
      return;
    }
    if (error != null && !(error instanceof CancellationException)) {
      Throwable cause =
          error instanceof java.util.concurrent.CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      error("response_failed", null, null, "the response failed: " + ErrorStatus.message(cause));
      finish(current, "failed", null, turn);
      return;
    }
    finish(
        current,
        error == null ? "completed" : "cancelled",
        error == null ? null : "client_cancelled",
        turn);
  }

  private void finish(Response current, String status, String reason, VoicePipeline.Turn turn) {
    current.over = true;
    if (response == current) {
      response = null;
    }
    current.item.text = current.text.toString();
    current.item.status = status.equals("completed") ? "completed" : "incomplete";
    if (current.audio) {
      ObjectNode audioDone = event("response.output_audio.done");
      partFields(audioDone, current);
      send(audioDone);
      ObjectNode transcriptDone = event("response.output_audio_transcript.done");
      partFields(transcriptDone, current);
      transcriptDone.put("transcript", current.item.text);
      send(transcriptDone);
    } else {
      ObjectNode textDone = event("response.output_text.done");
      partFields(textDone, current);
      textDone.put("text", current.item.text);
      send(textDone);
    }
    ObjectNode partDone = event("response.content_part.done");
    partFields(partDone, current);
    partDone.set("part", partJson(current));
    send(partDone);
    send(outputItem("response.output_item.done", current, 0, current.item));
    int index = items.indexOf(current.item);
    itemEvent("conversation.item.done", current.item, index > 0 ? items.get(index - 1).id : null);
    ObjectNode done = event("response.done");
    ObjectNode body = responseJson(current, status, reason);
    if (turn != null && turn.generation() != null) {
      ObjectNode usage = body.putObject("usage");
      int in = turn.generation().promptTokens();
      int out = turn.generation().completionTokens();
      usage.put("total_tokens", in + out);
      usage.put("input_tokens", in);
      usage.put("output_tokens", out);
    }
    done.set("response", body);
    send(done);
  }

  // ---- JSON

  private ObjectNode sessionJson() {
    return settings.toJson(id, pipeline.spec().systemPrompt());
  }

  private ObjectNode responseJson(Response current, String status, String reason) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("object", "realtime.response");
    body.put("id", current.id);
    body.put("status", status);
    if (reason == null) {
      body.putNull("status_details");
    } else {
      ObjectNode details = body.putObject("status_details");
      details.put("type", status);
      details.put("reason", reason);
    }
    ArrayNode output = body.putArray("output");
    if (!status.equals("in_progress")) {
      output.add(itemJson(current.item));
      current.calls.forEach(call -> output.add(itemJson(call)));
    }
    body.putArray("output_modalities").add(current.audio ? "audio" : "text");
    return body;
  }

  private static void partFields(ObjectNode event, Response current) {
    event.put("response_id", current.id);
    event.put("item_id", current.item.id);
    event.put("output_index", 0);
    event.put("content_index", 0);
  }

  private static ObjectNode partJson(Response current) {
    ObjectNode part = MAPPER.createObjectNode();
    if (current.audio) {
      part.put("type", "audio");
      part.put("transcript", current.text.toString());
    } else {
      part.put("type", "text");
      part.put("text", current.text.toString());
    }
    return part;
  }

  private static ObjectNode itemJson(Item item) {
    ObjectNode json = MAPPER.createObjectNode();
    json.put("id", item.id);
    json.put("object", "realtime.item");
    json.put("type", item.type);
    json.put("status", item.status);
    if (item.type.equals("function_call")) {
      json.put("call_id", item.callId);
      json.put("name", item.name);
      json.put("arguments", item.text);
      return json;
    }
    if (item.type.equals("function_call_output")) {
      json.put("call_id", item.callId);
      json.put("output", item.text);
      return json;
    }
    json.put("role", item.role);
    ArrayNode content = json.putArray("content");
    ObjectNode part = content.addObject();
    part.put("type", item.contentType);
    boolean audio = item.contentType.endsWith("audio");
    if (audio) {
      if (item.text == null) {
        part.putNull("transcript");
      } else {
        part.put("transcript", item.text);
      }
    } else {
      part.put("text", item.text == null ? "" : item.text);
    }
    return json;
  }

  private void itemEvent(String type, Item item, String previous) {
    ObjectNode event = event(type);
    if (previous == null) {
      event.putNull("previous_item_id");
    } else {
      event.put("previous_item_id", previous);
    }
    event.set("item", itemJson(item));
    send(event);
  }

  private ObjectNode event(String type) {
    ObjectNode event = MAPPER.createObjectNode();
    event.put("type", type);
    event.put("event_id", "event_" + id.substring(5) + "_" + (++events));
    return event;
  }

  private void error(String code, String param, String eventId, String message) {
    ObjectNode event = event("error");
    ObjectNode error = event.putObject("error");
    error.put("type", "invalid_request_error");
    error.put("code", code);
    error.put("message", message);
    if (param == null) {
      error.putNull("param");
    } else {
      error.put("param", param);
    }
    if (eventId == null) {
      error.putNull("event_id");
    } else {
      error.put("event_id", eventId);
    }
    send(event);
  }

  private void send(ObjectNode event) {
    if (closed) {
      return;
    }
    socket.writeTextMessage(event.toString());
  }

  private long audioMs(long samples) {
    return samples * 1000 / settings.input.rate;
  }

  private static String newId(String prefix) {
    byte[] bytes = new byte[10];
    ThreadLocalRandom.current().nextBytes(bytes);
    return prefix + HexFormat.of().formatHex(bytes);
  }
}
