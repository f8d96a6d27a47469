// Whether an output container takes a codec: the one place that answers it, for the two moments the
// pipeline asks.
//
//   muxer_takes(container, stream)   a stream that exists, to be copied as it is ("copy or
//                                    re-encode the audio", "copy or leave out a subtitle stream").
//   muxer_takes(container, codec)    a codec before any stream of it exists (which encoder to use:
//                                    the default video rule, a named encoder, the audio encoder).
//
// Both start from the same answer (listed below); they differ only where that does not decide:
//
//   1. FFmpeg's codec query (avformat_query_codec): yes (> 0) or no (0).
//   2. It cannot tell (< 0: ogg, mpegts, y4m ... have no codec list): the container's own default
//      codec for that kind of stream is taken; a container with no default for that kind (audio
//      in y4m) takes none; MPEG-TS takes H.264 (FFmpeg's demuxer maps its stream type; the muxer
//      has no list to say so).
//   3. Otherwise the muxer itself is asked: a header for that one stream is written into memory.
//      A muxer that writes its own files (AVFMT_NOFILE) cannot be asked this way.
//
// The stream form asks (3) with the real stream: a refusal (ogg refuses AAC) is false, an
// acceptance true; AVFMT_NOFILE muxers keep the old rule (true). Without this,
// `cnnv3 stylize clip.mp4 out.ogg` copied AAC into Ogg and failed at the real header, after the GPU
// had started.
//
// The codec form asks (3) with a typical stream of the codec (320x240 yuv420p, 48 kHz stereo) that
// has no codec header (extradata) yet. A refusal is Takes::no (ogg refuses H.264, y4m all but its
// raw frames); an acceptance is only Takes::maybe, since some muxers accept anything at this
// point (MPEG-TS writes ffv1 as a private stream no demuxer reads), as is an AVFMT_NOFILE muxer.
// Limit: a muxer that builds its header from the codec's own header (Ogg with Opus or FLAC)
// refuses the typical stream, so the codec form says no there although the encoder's stream would
// be taken; no caller asks that (audio_encoder_for asks only codecs the query answers for).
//
// Callers: Takes::yes where the pipeline picks a codec on its own (libx264, the ffv1 fallback, the
// audio encoder), != Takes::no where the user named the encoder (refused before the work starts).
//
// Thread-safe (no shared state). Allocation failure throws std::bad_alloc.
#pragma once

extern "C" {
#include <libavformat/avformat.h>
}

namespace cnnv3 {

bool muxer_takes(const AVOutputFormat& container, const AVCodecParameters& stream);

enum class Takes { no, maybe, yes };

Takes muxer_takes(const AVOutputFormat& container, AVCodecID codec);

}  // namespace cnnv3
