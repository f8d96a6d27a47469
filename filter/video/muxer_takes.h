// Whether an output container takes a stream as it is (copied, not re-encoded): the one question
// behind "copy or re-encode the audio" and "copy or leave out a subtitle stream".
//
// FFmpeg's codec query (avformat_query_codec) answers for most muxers. Where it cannot tell (< 0:
// ogg, mpegts, nut ... have no codec list), the muxer itself is asked: a header for that one stream
// is written into memory, and a muxer that refuses it (ogg refuses AAC) refuses the copy. Without
// that, `cnnv3 stylize clip.mp4 out.ogg` copied AAC into Ogg and failed at the real header, after the
// GPU had started. A muxer that writes its own files (AVFMT_NOFILE) cannot be asked this way and
// keeps the old rule: it takes the stream when it holds that kind of stream at all.
//
// Thread-safe (no shared state). Allocation failure throws std::bad_alloc.
#pragma once

extern "C" {
#include <libavformat/avformat.h>
}

namespace cnnv3 {

bool muxer_takes(const AVOutputFormat& container, const AVCodecParameters& stream);

}  // namespace cnnv3
