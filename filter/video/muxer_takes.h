// Whether an output container takes a codec: the one place that answers it, for the two moments the
// pipeline asks.
//
//   muxer_takes(container, stream)   a stream that exists, to be copied as it is ("copy or
//                                    re-encode the audio", "copy or leave out a subtitle stream").
//   muxer_takes(container, codec)    a codec before any stream of it exists (which encoder to use:
//                                    the default video rule, a named encoder, the audio encoder).
//
// What each form knows first, in this order:
//
//   1. FFmpeg's codec query (avformat_query_codec): yes (> 0) or no (0).
//   2. It cannot tell (< 0: ogg, mpegts, y4m ... have no codec list): the container's own default
//      codec for that kind of stream is taken; a container with no default for that kind (audio
//      in y4m) takes none; MPEG-TS takes H.264 (FFmpeg's demuxer maps its stream type; the muxer
//      has no list to say so).
//   3. Otherwise the muxer itself is asked: a header for that one stream is written into memory.
//      A muxer that writes its own files (AVFMT_NOFILE) cannot be asked this way.
//
// The stream form: a no from (1) or (2) is false; else the muxer is asked (3) with the real
// stream, a yes from the list too, since the lists are wider than what the muxers write at
// FFmpeg's normal strictness (FFmpeg 5.1's mov lists Opus, FLAC and VP9 but writes them only in
// its MP4 mode; mp4 lists FLAC, written only with -strict experimental). A refusal (ogg refuses
// AAC, mov Opus) is false, an acceptance true; AVFMT_NOFILE muxers take the stream. Without this,
// `cnnv3 stylize clip.mp4 out.ogg` copied AAC into Ogg (clip.mkv out.mov its Opus into MOV) and
// failed at the real header, after the GPU had started.
//
// The codec form: (1) and (2) decide (Takes::yes / Takes::no) where they can; a typical stream
// without the codec's header (extradata) would be refused where the encoder's is taken (matroska
// refuses H.264 without it). Else the muxer is asked (3) with such a typical stream (320x240
// yuv420p, 48 kHz stereo): a refusal is Takes::no (ogg refuses H.264, y4m all but its raw
// frames); an acceptance only Takes::maybe, since some muxers accept anything at this point
// (MPEG-TS writes ffv1 as a private stream no demuxer reads), as does an AVFMT_NOFILE muxer.
// Limits: a yes from the list stands where the stream form says no (mov with Opus, FLAC or VP9;
// mp4 with FLAC), so a named encoder of those into .mov still fails at the output's header; and
// a muxer that builds its header from the codec's own header (Ogg with Opus or FLAC) refuses the
// typical stream, so the codec form says no there although an encoder's stream would be taken
// (no caller asks: the audio encoder's candidates are answered by the query).
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
