package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Base64;
import java.util.List;

/**
 * Speech written to the client while it is synthesised, one model chunk (a WAV per sentence) at a
 * time: as audio bytes with chunked transfer (for {@code wav}, one streaming header whose sizes are
 * {@code 0xFFFFFFFF}, as OpenAI sends them, then samples), or with {@code stream_format: "sse"} as
 * {@code speech.audio.delta} events carrying the same bytes in base64, ended by {@code
 * speech.audio.done}. Nothing is written before the first chunk, so a failure before it still gets
 * a proper error status.
 */
final class SpeechStream {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String DELTA = "speech.audio.delta";
  private static final String DONE = "speech.audio.done";

  private final HttpServerResponse response;
  private final String format;
  private final boolean sse;
  private final int pcmRate;
  private int streamRate;
  private boolean started;
  private double audioSeconds;

  /** Seconds of audio the model has spoken so far. */
  double audioSeconds() {
    return audioSeconds;
  }

  /**
   * Whether audio has been written: the WAV header goes before the first samples, after any
   * pipeline events.
   */
  private boolean audioStarted;

  /**
   * Set once the answer is complete or failed: chunks a cancelled model still produces are dropped.
   */
  private boolean finished;

  SpeechStream(HttpServerResponse response, String format, boolean sse, int pcmRate) {
    this.response = response;
    this.format = format;
    this.sse = sse;
    this.pcmRate = pcmRate;
  }

  /** Writes one chunk: output {@code audio}, a WAV of the next piece of speech. */
  synchronized void chunk(List<Tensor> outputs) {
    if (finished) {
      return;
    }
    Pcm16 audio = Pcm16.wav(outputs.get(0).bytesElements().get(0));
    audioSeconds += audio.seconds();
    byte[] bytes;
    if (format.equals("pcm")) {
      bytes = audio.resample(pcmRate).rawBytes();
    } else if (!audioStarted) {
      streamRate = audio.sampleRate();
      byte[] header = Pcm16.streamingWavHeader(streamRate);
      byte[] samples = audio.rawBytes();
      bytes = new byte[header.length + samples.length];
      System.arraycopy(header, 0, bytes, 0, header.length);
      System.arraycopy(samples, 0, bytes, header.length, samples.length);
    } else {
      bytes = audio.resample(streamRate).rawBytes();
    }
    audioStarted = true;
    begin();
    if (sse) {
      ObjectNode delta =
          MAPPER
              .createObjectNode()
              .put("type", DELTA)
              .put("audio", Base64.getEncoder().encodeToString(bytes));
      write(Buffer.buffer("data: " + delta + "\n\n"));
    } else {
      write(Buffer.buffer(bytes));
    }
  }

  private void begin() {
    if (!started) {
      started = true;
      response.setChunked(true);
      if (sse) {
        response
            .putHeader("content-type", "text/event-stream")
            .putHeader("cache-control", "no-cache");
      } else {
        response.putHeader("content-type", format.equals("pcm") ? "audio/pcm" : "audio/wav");
      }
    }
  }

  /**
   * With SSE, writes an event of the caller's (a pipeline's transcript or text); otherwise nothing.
   */
  synchronized void event(ObjectNode event) {
    if (finished || !sse) {
      return;
    }
    begin();
    write(Buffer.buffer("data: " + event + "\n\n"));
  }

  /** Sets a response header, if the answer has not started yet; returns whether it was set. */
  synchronized boolean header(String name, String value) {
    if (started || finished) {
      return false;
    }
    response.putHeader(name, value);
    return true;
  }

  /**
   * Ends a stream that delivered every chunk. SSE usage counts are words, not tokens: Sluice's
   * speech models have no tokenizer, and no audio tokens exist.
   */
  synchronized void end(int inputWords) {
    finished = true;
    if (sse) {
      ObjectNode done = MAPPER.createObjectNode().put("type", DONE);
      done.putObject("usage")
          .put("input_tokens", inputWords)
          .put("output_tokens", 0)
          .put("total_tokens", inputWords);
      write(Buffer.buffer("data: " + done + "\n\n"));
    }
    if (!response.closed() && !response.ended()) {
      response.end();
    }
  }

  /**
   * Fails the answer: before the first chunk with the OpenAI error shape and status; after it, SSE
   * gets an {@code error} event and an audio stream is cut off without its final chunk, which
   * clients see as an incomplete transfer rather than a short, clean file.
   *
   * @return the status to record
   */
  synchronized int fail(Throwable failure) {
    finished = true;
    if (!started) {
      return OpenAiErrors.send(response, failure);
    }
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    int status = ErrorStatus.httpStatus(failure);
    if (sse) {
      ObjectNode error = MAPPER.createObjectNode().put("type", "error");
      error
          .putObject("error")
          .put("message", ErrorStatus.message(failure))
          .put("type", status >= 500 ? "server_error" : "invalid_request_error")
          .putNull("param")
          .putNull("code");
      write(Buffer.buffer("data: " + error + "\n\n"));
      response.end();
    } else {
      response.reset();
    }
    return status;
  }

  private void write(Buffer buffer) {
    if (!response.closed() && !response.ended()) {
      response.write(buffer);
    }
  }
}
