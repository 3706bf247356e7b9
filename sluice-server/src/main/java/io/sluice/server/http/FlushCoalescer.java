package io.sluice.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Coalesces the flushes of an HTTP/2 connection made outside a read into one, at the end of the
 * event loop's current task. An answer handed to the event loop by a model thread is written frame
 * by frame, and Vert.x flushes each frame when no read is in progress: the headers, data and
 * trailers of a gRPC call were three writes to the socket. Flushes during a read pass straight
 * through (the HTTP/2 codec flushes once when the read completes), so what is sent in answer to a
 * client's frames, and when, is unchanged.
 */
final class FlushCoalescer extends ChannelDuplexHandler {
  /**
   * Vert.x reports a new connection while reading the client's first frames, so this handler joins
   * the pipeline in the middle of a read: the read it missed the start of ends with the next {@code
   * channelReadComplete}.
   */
  private boolean reading = true;

  private boolean pending;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    reading = true;
    ctx.fireChannelRead(message);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    reading = false;
    ctx.fireChannelReadComplete();
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (reading) {
      ctx.flush();
    } else if (!pending) {
      pending = true;
      ctx.executor().execute(() -> flushPending(ctx));
    }
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    flushPending(ctx); // what was written before a close goes out before it
    ctx.close(promise);
  }

  private void flushPending(ChannelHandlerContext ctx) {
    if (pending) {
      pending = false;
      ctx.flush();
    }
  }
}
