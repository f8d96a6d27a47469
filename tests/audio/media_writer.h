// Small media files for the audio-layer tests, written with FFmpeg's libraries (NUT with raw video
// and 16-bit PCM) or by hand (YUV4MPEG2: video only, no audio stream).
#pragma once

#include "synth.h"

#include <filesystem>

namespace cnnv3::test {

// A NUT file with `frames` 16×16 grey frames at fps_num/fps_den and, if `audio` is given, the
// signal as 16-bit PCM with `channels` channels.
void write_nut(const std::filesystem::path& path, int fps_num, int fps_den, int frames, const Signal* audio,
               int channels = 2);

// Like write_nut (mono audio), with a dropout: the signal from `cut` seconds on is written `gap`
// seconds later than its place (no audio packets for `gap` seconds); the video runs through it.
// A negative gap (less than one 1024-sample packet, `cut` on a packet boundary) makes an overlap.
void write_nut_with_audio_gap(const std::filesystem::path& path, int fps_num, int fps_den, int frames,
                              const Signal& audio, double cut, double gap);

// A YUV4MPEG2 video (16×16, 4:2:0) with `frames` frames at `fps` and no audio stream.
void write_y4m(const std::filesystem::path& path, int fps, int frames);

}  // namespace cnnv3::test
