#include "video_transcode.h"

#include "audio_reencode.h"
#include "av_handles.h"
#include "buffer_pools.h"
#include "color_tags.h"
#include "encoder_choice.h"
#include "excerpt.h"
#include "media_input.h"
#include "muxer_takes.h"
#include "atomic_file.h"
#include "pixel_formats.h"
#include "replacement_audio.h"
#include "send_to_encoder.h"
#include "stage_queue.h"
#include "user_media.h"
#include "video_error.h"

extern "C" {
#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <pthread.h>

namespace cnnv3 {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

int64_t frame_duration(const AVFrame& frame)
{
#if LIBAVUTIL_VERSION_MAJOR >= 58
    return frame.duration;
#else
    return frame.pkt_duration;
#endif
}

void set_frame_duration(AVFrame& frame, int64_t duration)
{
#if LIBAVUTIL_VERSION_MAJOR >= 58
    frame.duration = duration;
#else
    frame.pkt_duration = duration;
#endif
}


const char* media_type_name(AVMediaType type)
{
    const char* name = av_get_media_type_string(type);
    return name ? name : "unknown";
}

// Statistics tags that describe the old encoding of a re-encoded stream, not the new one.
bool stale_encoding_tag(const char* key)
{
    static const char* const stale[] = {"encoder", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "BPS"};
    for (const char* s : stale)
        if (av_strcasecmp(key, s) == 0)
            return true;
    return std::strncmp(key, "_STATISTICS", 11) == 0;
}

// Stream side data worth keeping on the re-encoded video: orientation, HDR colour volume, 3D and
// 360 layout (the pixels are the same picture, so these still describe it).
bool kept_on_video(AVPacketSideDataType type)
{
    switch (type) {
    case AV_PKT_DATA_DISPLAYMATRIX:
    case AV_PKT_DATA_MASTERING_DISPLAY_METADATA:
    case AV_PKT_DATA_CONTENT_LIGHT_LEVEL:
    case AV_PKT_DATA_STEREO3D:
    case AV_PKT_DATA_SPHERICAL:
        return true;
    default:
        return false;
    }
}

// Copies stream side data: everything for a copied stream, kept_on_video() for the re-encoded one.
// FFmpeg 7 keeps it in codecpar (avcodec_parameters_copy already copied it); earlier in AVStream.
void copy_side_data(const AVStream& from, AVStream& to, bool everything)
{
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    if (everything)
        return;
    const AVCodecParameters* par = from.codecpar;
    for (int i = 0; i < par->nb_coded_side_data; ++i) {
        const AVPacketSideData& sd = par->coded_side_data[i];
        if (!kept_on_video(sd.type))
            continue;
        AVPacketSideData* copy = av_packet_side_data_new(&to.codecpar->coded_side_data, &to.codecpar->nb_coded_side_data,
                                                         sd.type, sd.size, 0);
        if (!copy)
            throw std::bad_alloc();
        std::memcpy(copy->data, sd.data, sd.size);
    }
#else
    for (int i = 0; i < from.nb_side_data; ++i) {
        const AVPacketSideData& sd = from.side_data[i];
        if (!everything && !kept_on_video(sd.type))
            continue;
        uint8_t* copy = av_stream_new_side_data(&to, sd.type, sd.size);
        if (!copy)
            throw std::bad_alloc();
        std::memcpy(copy, sd.data, sd.size);
    }
#endif
}

// Stream side data of one type: its bytes, or nullptr (FFmpeg 7: in codecpar; earlier in AVStream).
const uint8_t* stream_side_data(const AVStream& st, AVPacketSideDataType type, std::size_t& size)
{
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    const AVPacketSideData* sd =
        av_packet_side_data_get(st.codecpar->coded_side_data, st.codecpar->nb_coded_side_data, type);
    size = sd ? sd->size : 0;
    return sd ? sd->data : nullptr;
#else
    return av_stream_get_side_data(&st, type, &size);
#endif
}

void add_stream_side_data(AVStream& st, AVPacketSideDataType type, const void* data, std::size_t size)
{
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    AVPacketSideData* sd =
        av_packet_side_data_new(&st.codecpar->coded_side_data, &st.codecpar->nb_coded_side_data, type, size, 0);
    uint8_t* copy = sd ? sd->data : nullptr;
#else
    uint8_t* copy = av_stream_new_side_data(&st, type, size);
#endif
    if (!copy)
        throw std::bad_alloc();
    std::memcpy(copy, data, size);
}

// The HDR10 metadata of the video: the first frame's side data (the SEI), else the stream's
// (Matroska's or MP4's boxes).
HdrMetadata video_hdr_metadata(const AVFrame& first, const AVStream& st)
{
    HdrMetadata hdr = hdr_metadata_of(first);
    std::size_t size = 0;
    if (const uint8_t* d = stream_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, size);
        !hdr.mastering && d && size >= sizeof(AVMasteringDisplayMetadata))
        hdr.mastering = *reinterpret_cast<const AVMasteringDisplayMetadata*>(d);
    if (const uint8_t* d = stream_side_data(st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, size);
        !hdr.light && d && size >= sizeof(AVContentLightMetadata))
        hdr.light = *reinterpret_cast<const AVContentLightMetadata*>(d);
    return hdr;
}

// The HDR10 metadata as stream side data of the output video (the muxer's boxes: Matroska's
// MasteringMetadata, MP4's mdcv / clli), where the input stream did not already bring it.
void keep_hdr_metadata(AVStream& out, const HdrMetadata& hdr)
{
    std::size_t size = 0;
    if (hdr.mastering && !stream_side_data(out, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, size))
        add_stream_side_data(out, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &*hdr.mastering, sizeof(*hdr.mastering));
    if (hdr.light && !stream_side_data(out, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, size))
        add_stream_side_data(out, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &*hdr.light, sizeof(*hdr.light));
}

// Frames (or packets of the copied streams, which keep their place among the frames) from the
// decode stage to the process stage, and from there to the encode/mux stage.
struct DecodedItem {
    av::Frame frame;    // a decoded video frame (software pixels), or
    av::Packet packet;  // a packet of a copied / re-encoded stream
    int stream_format = -1;  // the stream's software pixel format (a hardware frame's download may differ)
};
struct ProcessedItem {
    av::Frame frame;    // the processed frame, output format, pts not yet set
    av::Packet packet;
    int64_t pts = 0;        // input time base, repaired (increasing)
    int64_t duration = 0;   // input time base
};

// Queue depths: each stage may run this many items ahead of the next (frames in flight).
constexpr std::size_t decoded_queue_depth = 3;
constexpr std::size_t processed_queue_depth = 3;

// Thrown inside a stage whose queue was aborted (another stage failed): ends it quietly.
struct StageAborted {};

// One run of the pipeline: the input, the output, the encoder and the counters, torn down (and the
// temporary output file removed) by RAII when run() throws.
//
// Four stages, each on its own thread, with bounded queues between them (stage_queue.h):
//   decode (the caller's thread: demux, decode, strict checks; copied packets pass through),
//   prepare (FrameProcessor::prepare_decoded),
//   process (start_encoder, timestamps, FrameProcessor, frames in flight on its native path),
//   encode/mux (header, encoder, every write to the output).
// Each member below is touched by one stage, or set before the stage that reads it receives the
// item that follows (the queue's mutex orders the two). An exception in any stage aborts the
// queues; every thread is joined before run() returns or throws.
class Transcoder {
public:
    Transcoder(const TranscodeOptions& options, FrameProcessor& processor)
        : opts_(options), processor_(processor)
    {
    }

    TranscodeResult run();

private:
    bool stop_requested() const { return opts_.stop && opts_.stop->load(std::memory_order_relaxed); }
    // Runs `open` (an input being opened); a stop meanwhile makes the open fail (FFmpeg's "Immediate
    // exit requested", or "Interrupted system call" from a named pipe's open(2)): that failure is the
    // stop, StoppedBeforeOutput(`name`), not a bad input.
    template <class Open>
    void open_unless_stopped(const std::string& name, Open&& open)
    {
        try {
            open();
        } catch (const VideoError&) {
            if (stop_requested())
                throw StoppedBeforeOutput(name);
            throw;
        }
    }
    bool limit_reached() const { return max_frames_ >= 0 && frames_read_ >= max_frames_; }
    // From the container's start, subtracted on integers (as filter/audio does): the conditioning
    // of a frame does not depend on where the file's timestamps begin.
    double input_seconds(int64_t ts) const
    {
        return ts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ts - start_ts_) * av_q2d(in_tb_);
    }

    void open_output();
    AVPixelFormat requested_pixel_format() const;
    void add_copied_streams();
    void add_audio(unsigned index, const std::string& what);
    void forward(AVPacket& packet);
    void handle_packet(AVPacket& packet);
    void decode(const AVPacket* packet);
    void read_all();
    void prepare_all();
    void process_all();
    void mux_all();
    void run_stages();
    void fail(std::exception_ptr error);
    void handle_frame(av::Frame frame, int stream_format);
    void submit(const AVFrame& frame, AVFrame& out, int64_t pts);
    void collect_oldest();
    void deliver(ProcessedItem item);
    void start_encoder(const AVFrame& first, AVPixelFormat in_format);
    void write_header();
    void encode_frame(ProcessedItem item);
    void encode(AVFrame* frame);
    void encode_constant_rate(av::Frame frame, int64_t pts, int64_t duration);
    void repeat_last_frame_until(int64_t slot);
    void write_copied(AVPacket& packet);
    void write_replacement_audio(double until);
    void write(AVPacket& packet);
    void check_complete() const;
    void finish_output();
    void report(bool finished);
    void note(std::string text)
    {
        std::lock_guard lock(notes_mutex_);
        result_.notes.push_back(std::move(text));
    }

    const TranscodeOptions& opts_;
    FrameProcessor& processor_;
    std::string out_name_;                 // OUT for messages ("stdout" for "-")
    std::string guess_name_;               // the name the muxer and codec guesses see
    std::optional<PartialOutput> partial_; // declared before out_: the file closes before removal
    MediaInput in_;
    std::optional<ReplacementAudio> replacement_audio_;  // --audio FILE
    double first_video_time_ = 0.0;        // the first frame's pts, seconds (not from the start)
    av::OutputContext out_;
    std::vector<int> stream_map_;          // input stream -> output stream, -1 = left out
    std::map<int, int64_t> audio_rescale_last_;  // per copied audio stream: av_rescale_delta's state
    std::map<int, std::unique_ptr<AudioReencoder>> reencoded_;  // input stream -> its re-encoder
    AVStream* video_out_ = nullptr;
    PacketPool packet_pool_;               // before encoder_: the encoder's packets (and its workers') come from it
    av::CodecContext encoder_;
    FramePool out_frames_;                 // the process stage's output frames
    EncoderChoice choice_;
    av::Frame decoded_ = av::make_frame();
    av::Frame transferred_;                // hardware decoding: the frame as downloaded
    av::Packet encoded_ = av::make_packet();
    std::vector<av::Packet> pending_;      // copied packets read before the header was written
    bool header_written_ = false;

    AVPixelFormat requested_format_ = AV_PIX_FMT_NONE;  // TranscodeOptions::pixel_format
    AVRational in_tb_{1, 1};
    AVRational enc_tb_{1, 1};
    AVRational frame_rate_{25, 1};
    bool no_timestamps_ = false;           // one frame rate, no timestamps (y4m, images): encode_constant_rate()
    double start_time_ = 0.0;              // container start, seconds
    int64_t start_ts_ = 0;                 // the same in the video stream's time base
    int64_t last_pts_ = AV_NOPTS_VALUE;
    int64_t last_duration_ = 0;
    int64_t last_out_pts_ = AV_NOPTS_VALUE;
    bool repaired_pts_ = false;
    // encode_constant_rate(): slots of 1 / frame_rate_ from the first frame's pts.
    int64_t first_pts_ = AV_NOPTS_VALUE;
    int64_t next_slot_ = 0;
    int64_t end_pts_ = AV_NOPTS_VALUE;     // where the latest frame ends (input time base)
    av::Frame last_frame_;
    int64_t repeated_ = 0, dropped_ = 0;
    double last_end_ = 0.0;                // latest packet end seen in any stream, from the start
    int64_t last_packet_end_byte_ = -1;    // input byte offset after the latest packet (-1: unknown)
    int64_t video_packets_ = 0;            // video packets read
    std::map<int64_t, int64_t> durations_; // encoder pts -> frame duration (encoder time base)
    int width_ = 0, height_ = 0;
    bool alpha_ = false;
    AVRational sample_aspect_ratio_{0, 1};
    ColorTags out_tags_;

    // The stages and what they hand over (run_stages()).
    using Clock = std::chrono::steady_clock;
    double submit_seconds_ = 0, collect_seconds_ = 0;  // the process stage's calls to the processor
    // The processor's decode buffers (FrameProcessor::decode_buffers), set once after start() on
    // the process stage; the decoder's get_buffer2 (decode_into) reads them once `ready`.
    FrameProcessor::DecodeBufferSource decode_buffers_;
    std::atomic<bool> decode_buffers_ready_{false};
    std::atomic<int64_t> decoded_into_processor_{0};
    static int decode_into(AVCodecContext* ctx, AVFrame* frame, int flags);
    bool decoding_into_processor(int format) const;
    bool take_decode_buffer(AVFrame& frame, int w, int h, const int* align);
    StageQueue<DecodedItem> decoded_q_{decoded_queue_depth};
    StageQueue<DecodedItem> prepared_q_{decoded_queue_depth};
    StageQueue<ProcessedItem> processed_q_{processed_queue_depth};
    struct InFlight {  // submitted to FrameProcessor::submit_native(), not yet collected
        av::Frame in;
        ProcessedItem out;
    };
    std::deque<InFlight> in_flight_;       // process stage
    std::mutex error_mutex_, notes_mutex_;
    std::exception_ptr error_;             // the first stage failure
    int64_t frames_read_ = 0;              // decode stage: frames passed on
    int64_t read_pts_ = AV_NOPTS_VALUE;    // decode stage: the latest frame's, for messages
    bool hw_noted_ = false;                // decode stage: the hardware decoder's note is made
    int64_t processed_ = 0;                // process stage: frames handed to the processor

    std::atomic<int64_t> frames_{0};       // written by the encode/mux stage
    std::atomic<double> media_time_{0.0};  // the latest written frame's time, for progress
    int64_t max_frames_ = -1;
    int64_t total_estimate_ = -1;
    bool stopped_ = false;
    Clock::time_point started_ = Clock::now();
    Clock::time_point first_frame_at_{};
    Clock::time_point last_report_{};
    TranscodeResult result_;
};

void Transcoder::open_output()
{
    const AVOutputFormat& container = output_container(opts_.output, opts_.output_format, out_name_);
    guess_name_ = opts_.output == "-" ? "" : partial_->temporary().string();
    // The same spelling rules as for inputs (user_media.h): "-" is the stdout descriptor, file:PATH.
    const std::string url = opts_.output == "-" ? media_url("-", opts_.stdout_fd) : media_url(guess_name_);

    AVFormatContext* raw = nullptr;
    if (int rc = avformat_alloc_output_context2(&raw, &container, nullptr, url.c_str()); rc < 0 || !raw)
        throw std::bad_alloc();  // with a muxer given, only the allocation can fail
    out_.reset(raw);
    result_.container = raw->oformat->name;
    if (is_y4m(*raw->oformat))
        raw->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;  // y4m's 9-16 bit formats
    // y4m stores one frame rate (from the stream's time base) and no timestamps.
    no_timestamps_ = (raw->oformat->flags & AVFMT_NOTIMESTAMPS) != 0 || is_y4m(*raw->oformat);
    if (is_image_container(*raw->oformat))
        max_frames_ = 1;

    add_copied_streams();
    if (replacement_audio_ && !is_image_container(*raw->oformat))
        if (std::string reencoded = replacement_audio_->add_stream(*raw, out_name_); !reencoded.empty())
            note(std::move(reencoded));

    if (!(raw->oformat->flags & AVFMT_NOFILE)) {
        // The temporary file is new and empty (PartialOutput): opened without O_TRUNC. ext4 flushes
        // a file truncated to length 0 when it is closed (auto_da_alloc): 0.3 s for a 1 GB rawvideo
        // output at the end of every run, as the disk writes it (bench/RESULTS.md).
        av::Dictionary io_options;
        if (opts_.output != "-")
            io_options.set("truncate", "0");
        if (int orc = avio_open2(&raw->pb, url.c_str(), AVIO_FLAG_WRITE, nullptr, io_options.address()); orc < 0)
            throw VideoError(out_name_, fmt::format("cannot open for writing ({})", av::error_text(orc)));
    }
}

void Transcoder::add_copied_streams()
{
    AVFormatContext* ic = in_.format.get();
    AVFormatContext* oc = out_.get();
    const AVOutputFormat& container = *oc->oformat;
    stream_map_.assign(ic->nb_streams, -1);
    for (unsigned i = 0; i < ic->nb_streams; ++i) {
        const AVStream* is = ic->streams[i];
        const AVCodecParameters* par = is->codecpar;
        if (static_cast<int>(i) == in_.video_index) {
            video_out_ = avformat_new_stream(oc, nullptr);
            if (!video_out_)
                throw std::bad_alloc();
            for (const AVDictionaryEntry* e = nullptr; (e = av_dict_get(is->metadata, "", e, AV_DICT_IGNORE_SUFFIX));)
                if (!stale_encoding_tag(e->key))
                    av_dict_set(&video_out_->metadata, e->key, e->value, 0);
            video_out_->disposition = is->disposition;
            stream_map_[i] = video_out_->index;
            continue;
        }
        const std::string what = fmt::format("stream #{} ({}, {})", i, media_type_name(par->codec_type),
                                             avcodec_get_name(par->codec_id));
        bool copy = false;
        std::string why;
        if (is_image_container(container)) {
            why = "an image output holds only the picture";
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && replacement_audio_) {
            why = fmt::format("replaced by the audio of {}", replacement_audio_->name());
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            add_audio(i, what);
            continue;
        } else if (par->codec_type == AVMEDIA_TYPE_SUBTITLE) {
            copy = muxer_takes(container, *par);
            why = fmt::format("the {} container cannot carry it", container.name);
        } else if (par->codec_type == AVMEDIA_TYPE_ATTACHMENT) {
            copy = is_matroska(container);
            why = "attachments are copied into Matroska only";
        } else if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
            why = "only the first video stream is processed";
        } else {
            why = "data streams are not copied";
        }
        if (!copy) {
            note(fmt::format("{} left out: {}", what, why));
            continue;
        }
        AVStream* os = avformat_new_stream(oc, nullptr);
        if (!os)
            throw std::bad_alloc();
        if (int rc = avcodec_parameters_copy(os->codecpar, par); rc < 0)
            throw VideoError(out_name_, fmt::format("cannot copy {} ({})", what, av::error_text(rc)));
        os->codecpar->codec_tag = 0;
        copy_side_data(*is, *os, true);
        os->time_base = is->time_base;
        os->disposition = is->disposition;
        av_dict_copy(&os->metadata, is->metadata, 0);
        stream_map_[i] = os->index;
    }
    av_dict_copy(&oc->metadata, ic->metadata, 0);
    if (ic->nb_chapters > 0)
        note(fmt::format("{} chapter{} not copied", ic->nb_chapters, ic->nb_chapters == 1 ? "" : "s"));
}

// TranscodeOptions::pixel_format, or AV_PIX_FMT_NONE.
AVPixelFormat Transcoder::requested_pixel_format() const
{
    if (opts_.pixel_format.empty())
        return AV_PIX_FMT_NONE;
    const AVPixelFormat f = av_get_pix_fmt(opts_.pixel_format.c_str());
    if (f == AV_PIX_FMT_NONE)
        throw VideoError("--pix-fmt", fmt::format("no pixel format named \"{}\" (see ffmpeg -pix_fmts)",
                                                  opts_.pixel_format));
    return f;
}

// IN's audio: copied, or re-encoded where the container cannot carry it (add_audio_stream), never
// dropped silently: a stream left out gets a note.
void Transcoder::add_audio(unsigned index, const std::string& what)
{
    const AVStream& is = *in_.format->streams[index];
    AddedAudio added = add_audio_stream(is, *out_, in_.name, out_name_);
    switch (added.how) {
    case AddedAudio::How::no_audio:
        note(fmt::format("{} left out: {}", what, added.why));
        return;
    case AddedAudio::How::cannot_decode:
        note(fmt::format("{} left out: {}, and this FFmpeg cannot decode it to re-encode it", what, added.why));
        return;
    case AddedAudio::How::copied:
        copy_side_data(is, *added.stream, true);
        audio_rescale_last_[static_cast<int>(index)] = AV_NOPTS_VALUE;
        break;
    case AddedAudio::How::reencoded:
        for (const AVDictionaryEntry* e = nullptr; (e = av_dict_get(is.metadata, "", e, AV_DICT_IGNORE_SUFFIX));)
            if (!stale_encoding_tag(e->key))  // the old encoding's statistics describe the old stream
                av_dict_set(&added.stream->metadata, e->key, e->value, 0);
        note(fmt::format("{} re-encoded to {}: {}", what, added.reencoder->describe(), added.why));
        reencoded_[static_cast<int>(index)] = std::move(added.reencoder);
        break;
    }
    stream_map_[index] = added.stream->index;
}

// A packet of a copied or re-encoded stream, once the header is written.
void Transcoder::forward(AVPacket& packet)
{
    if (auto it = reencoded_.find(packet.stream_index); it != reencoded_.end()) {
        it->second->send(&packet, [this](AVPacket& p) { write(p); });
        return;
    }
    write_copied(packet);
}

// `in_format`: the stream's pixel format (the first frame's, unless it came from a hardware decoder).
void Transcoder::start_encoder(const AVFrame& first, AVPixelFormat in_format)
{
    if (!can_read_pixel_format(in_format))
        throw VideoError(in_.name, fmt::format("pixel format \"{}\" is not supported (expected integer YUV, gray or "
                                               "RGB of 8-16 bits)", pixel_format_name(in_format)));
    width_ = first.width;
    height_ = first.height;
    alpha_ = pixel_format_has_alpha(in_format);
    choice_ = choose_encoder(*out_->oformat, guess_name_, in_format, width_, height_, opts_.encoder, out_name_,
                             requested_format_);
    out_tags_ = output_color_tags(color_tags_of(first), in_format, choice_.pixel_format, width_, height_);
    enc_tb_ = in_tb_;
    if (no_timestamps_) {
        enc_tb_ = av_inv_q(frame_rate_);
    } else if (std::vector<AVRational> rates = encoder_frame_rates(*choice_.codec); !rates.empty()) {
        // Codecs with a fixed list of rates (MPEG-1/2): the nearest one, timestamps rescaled to it.
        rates.push_back({0, 0});
        const AVRational rate = rates[av_find_nearest_q_idx(frame_rate_, rates.data())];
        enc_tb_ = av_inv_q(rate);
        note(fmt::format("{} codes fixed frame rates: timestamps rounded to {}/{} fps", choice_.codec->name, rate.num,
                         rate.den));
    }

    encoder_.reset(avcodec_alloc_context3(choice_.codec));
    if (!encoder_)
        throw std::bad_alloc();
    AVCodecContext& enc = *encoder_;
    enc.width = width_;
    enc.height = height_;
    enc.pix_fmt = choice_.pixel_format;
    enc.time_base = enc_tb_;
    enc.framerate = frame_rate_;
    sample_aspect_ratio_ = av_guess_sample_aspect_ratio(in_.format.get(), in_.format->streams[in_.video_index],
                                                        const_cast<AVFrame*>(&first));
    enc.sample_aspect_ratio = sample_aspect_ratio_;
    enc.thread_count = 0;
    packet_pool_.attach(enc);
    set_color_tags(enc, out_tags_);
    if (out_->oformat->flags & AVFMT_GLOBALHEADER)
        enc.flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av::Dictionary options;
    set_quality_options(*choice_.codec, enc, options, opts_.crf, opts_.encoder_options, out_name_);
    quiet_encoder_banners(*choice_.codec, options);
    const HdrMetadata hdr = video_hdr_metadata(first, *in_.format->streams[in_.video_index]);
    if (std::strcmp(choice_.codec->name, "libx265") == 0)
        add_x265_params(options, x265_hdr_params(hdr));
    // The processor starts before the encoder opens: a frame size it cannot take (the GPU's texture
    // limit) is reported as what it is, not as an encoder failure.
    VideoStreamInfo info;
    info.width = width_;
    info.height = height_;
    info.frame_rate = av_q2d(frame_rate_);
    info.frames_estimate = total_estimate_;
    const AVStream* st = in_.format->streams[in_.video_index];
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        info.duration = st->duration * av_q2d(st->time_base);
    else if (in_.format->duration != AV_NOPTS_VALUE && in_.format->duration > 0)
        info.duration = static_cast<double>(in_.format->duration) / AV_TIME_BASE;
    info.has_alpha = alpha_;
    const Clock::time_point t0 = Clock::now();
    processor_.start(info);
    result_.stage_times.start = seconds_between(t0, Clock::now());
    if ((decode_buffers_ = processor_.decode_buffers()))
        decode_buffers_ready_.store(true, std::memory_order_release);
    if (int rc = avcodec_open2(&enc, choice_.codec, options.address()); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot open the {} encoder for {} {}x{} ({})", choice_.codec->name,
                                                pixel_format_name(choice_.pixel_format), width_, height_,
                                                av::error_text(rc)));
    if (options.size() > 0)
        throw VideoError(out_name_, fmt::format("encoder {} has no option \"{}\"", choice_.codec->name,
                                                options.first_key()));

    if (int rc = avcodec_parameters_from_context(video_out_->codecpar, &enc); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot set up the video stream ({})", av::error_text(rc)));
    copy_side_data(*in_.format->streams[in_.video_index], *video_out_, false);
    keep_hdr_metadata(*video_out_, hdr);
    video_out_->time_base = enc_tb_;
    video_out_->avg_frame_rate = frame_rate_;
    video_out_->sample_aspect_ratio = enc.sample_aspect_ratio;

    result_.encoder = choice_.codec->name;
    result_.pixel_format = pixel_format_name(choice_.pixel_format);
    result_.encoder_reason = choice_.reason;

    first_frame_at_ = Clock::now();
}

// Encode/mux stage, with the first frame (the video stream's parameters are set by then).
void Transcoder::write_header()
{
    av::Dictionary muxer_options;
    if (is_image_container(*out_->oformat))
        muxer_options.set("update", "1");  // the file name as given, not a frame-number pattern
    if (int rc = avformat_write_header(out_.get(), muxer_options.address()); rc < 0)
        throw VideoError(out_name_, fmt::format("the {0} muxer refused the streams ({1}; expected streams that {0} "
                                                "carries, else another container such as .mkv)", out_->oformat->name,
                                                av::error_text(rc)));
    header_written_ = true;
    for (av::Packet& p : pending_)
        forward(*p);
    pending_.clear();
}

// Process stage: one decoded frame, in presentation order.
void Transcoder::handle_frame(av::Frame frame_ref, int stream_format)
{
    const AVFrame& frame = *frame_ref;
    if (!encoder_)
        start_encoder(frame, static_cast<AVPixelFormat>(stream_format));
    else if (frame.width != width_ || frame.height != height_)
        throw VideoError(in_.name, fmt::format("the video changes size mid-stream ({}x{} to {}x{}; expected one size)",
                                               width_, height_, frame.width, frame.height));

    int64_t pts = frame.best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = last_pts_ == AV_NOPTS_VALUE ? 0 : last_pts_ + std::max<int64_t>(last_duration_, 1);
    if (last_pts_ != AV_NOPTS_VALUE && pts <= last_pts_) {
        pts = last_pts_ + 1;
        if (!repaired_pts_)
            note("non-increasing video timestamps were made increasing");
        repaired_pts_ = true;
    }
    int64_t duration = frame_duration(frame);
    if (duration <= 0)
        duration = std::max<int64_t>(1, av_rescale_q(1, av_inv_q(frame_rate_), in_tb_));
    last_pts_ = pts;
    last_duration_ = duration;
    if (processed_ == 0)
        first_video_time_ = pts * av_q2d(in_tb_);

    ProcessedItem item;
    item.frame = av::make_frame();
    item.pts = pts;
    item.duration = duration;
    AVFrame& out = *item.frame;
    out.format = choice_.pixel_format;
    out.width = width_;
    out.height = height_;
    out.sample_aspect_ratio = sample_aspect_ratio_;
    set_color_tags(out, out_tags_);
    submit(frame, out, pts);
    // In flight: the processor finishes `out` when collected, oldest first.
    in_flight_.push_back({std::move(frame_ref), std::move(item)});
    ++processed_;
    while (static_cast<int>(in_flight_.size()) >= std::max(1, processor_.native_in_flight()))
        collect_oldest();
    report(false);
}

// `frame` (format set) laid out in one buffer from the processor's decode buffers: lines of at
// least `w` pixels, each line size a multiple of align[plane] (where > 0), `h` rows, planes
// 64-byte aligned with room for the bytes decoders read past a plane (as FFmpeg's pools leave).
// False, with `frame` untouched, when the layout is not one buffer's or no buffer is free.
bool Transcoder::take_decode_buffer(AVFrame& frame, int w, int h, const int* align)
{
    const auto format = static_cast<AVPixelFormat>(frame.format);
    int linesize[4] = {};
    for (bool aligned = false; !aligned; w += w & ~(w - 1)) {  // widen until every line size is aligned
        if (av_image_fill_linesizes(linesize, format, w) < 0)
            return false;
        aligned = true;
        for (int i = 0; i < 4; ++i)
            aligned = aligned && (align[i] <= 0 || linesize[i] % align[i] == 0);
    }
    ptrdiff_t pitches[4] = {linesize[0], linesize[1], linesize[2], linesize[3]};
    size_t sizes[4] = {};
    if (av_image_fill_plane_sizes(sizes, format, h, pitches) < 0)
        return false;
    constexpr std::size_t unit = 64;
    std::size_t offsets[4] = {}, total = 0;
    for (int i = 0; i < 4; ++i) {
        offsets[i] = total;
        if (sizes[i])
            total += (sizes[i] + 16 + unit - 1) / unit * unit;
    }
    AVBufferRef* buffer = decode_buffers_(total);
    if (!buffer)
        return false;
    decoded_into_processor_.fetch_add(1, std::memory_order_relaxed);
    frame.buf[0] = buffer;
    for (int i = 0; i < 4; ++i)
        if (sizes[i]) {
            frame.data[i] = buffer->data + offsets[i];
            frame.linesize[i] = linesize[i];
        }
    frame.extended_data = frame.data;
    return true;
}

// The decoder's get_buffer2: the frame laid out as FFmpeg's default allocator lays it out (each
// line size a multiple of what the codec asks, planes 64-byte aligned with room for the bytes
// decoders read past a plane), in one buffer from the processor's decode buffers where it offers
// them and has one free; else FFmpeg's own allocator (hardware frames, palettes and codecs that
// allocate their own frames included).
int Transcoder::decode_into(AVCodecContext* ctx, AVFrame* frame, int flags)
{
    auto* self = static_cast<Transcoder*>(ctx->opaque);
    if (!self->decoding_into_processor(frame->format) || !(ctx->codec->capabilities & AV_CODEC_CAP_DR1) ||
        frame->width < 1 || frame->height < 1)
        return avcodec_default_get_buffer2(ctx, frame, flags);
    int w = frame->width, h = frame->height;
    int align[AV_NUM_DATA_POINTERS] = {};
    avcodec_align_dimensions2(ctx, &w, &h, align);
    if (!self->take_decode_buffer(*frame, w, h, align))
        return avcodec_default_get_buffer2(ctx, frame, flags);
    return 0;
}

// Whether frames of `format` may go into the processor's decode buffers: once it offers them, for
// software pixels without a palette.
bool Transcoder::decoding_into_processor(int format) const
{
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
    return decode_buffers_ready_.load(std::memory_order_acquire) && d &&
           !(d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM));
}

void Transcoder::collect_oldest()
{
    const Clock::time_point t0 = Clock::now();
    processor_.collect_native();
    collect_seconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
    InFlight done = std::move(in_flight_.front());
    in_flight_.pop_front();
    deliver(std::move(done.out));
}

void Transcoder::deliver(ProcessedItem item)
{
    if (!processed_q_.push(std::move(item)))
        throw StageAborted{};
}

// Encode/mux stage: one processed frame, with its timestamp in the encoder's time base.
void Transcoder::encode_frame(ProcessedItem item)
{
    if (!header_written_)
        write_header();
    const int64_t pts = item.pts, duration = item.duration;
    if (no_timestamps_) {
        encode_constant_rate(std::move(item.frame), pts, duration);
    } else {
        AVFrame& out = *item.frame;
        int64_t out_pts = av_rescale_q(pts, in_tb_, enc_tb_);
        if (last_out_pts_ != AV_NOPTS_VALUE && out_pts <= last_out_pts_)
            out_pts = last_out_pts_ + 1;  // only when the encoder's time base is coarser than the input's
        last_out_pts_ = out_pts;
        out.pts = out_pts;
        const int64_t out_duration = std::max<int64_t>(1, av_rescale_q(duration, in_tb_, enc_tb_));
        set_frame_duration(out, out_duration);
        durations_[out.pts] = out_duration;
        encode(&out);
    }
    write_replacement_audio((pts + duration) * av_q2d(in_tb_));
    media_time_.store(input_seconds(pts));
    frames_.fetch_add(1);
}

// To FrameProcessor::submit_native(), whatever the output's pixel format; a pair of formats the
// processor does not take is the input's problem.
void Transcoder::submit(const AVFrame& frame, AVFrame& out, int64_t pts)
{
    const Clock::time_point t0 = Clock::now();
    if (int rc = out_frames_.get(out); rc < 0)
        throw VideoError(in_.name, "cannot allocate an output frame (" + av::error_text(rc) + ")");
    const bool taken = processor_.submit_native(frame, out, input_seconds(pts), processed_);
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    submit_seconds_ += took;
    if (processed_ == 0)
        result_.stage_times.first_submit = took;
    if (!taken)
        throw VideoError(in_.name, fmt::format("pixel format \"{}\" is not supported (the frame processor does not "
                                               "convert it to \"{}\")",
                                               pixel_format_name(static_cast<AVPixelFormat>(frame.format)),
                                               pixel_format_name(static_cast<AVPixelFormat>(out.format))));
}

void Transcoder::decode(const AVPacket* packet)
{
    AVCodecContext* dec = in_.decoder.get();
    int rc = avcodec_send_packet(dec, packet);
    if (rc < 0 && rc != AVERROR_EOF)
        throw VideoError(in_.name, fmt::format("cannot decode the video at {:.3f} s ({})",
                                               packet ? input_seconds(packet->pts) : input_seconds(read_pts_),
                                               av::error_text(rc)));
    while (true) {
        rc = avcodec_receive_frame(dec, decoded_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return;
        if (rc < 0)
            throw VideoError(in_.name, fmt::format("cannot decode the video after {:.3f} s ({})",
                                                   input_seconds(read_pts_), av::error_text(rc)));
        AVFrame& frame = *decoded_;
        if (frame.decode_error_flags || (frame.flags & AV_FRAME_FLAG_CORRUPT))
            throw VideoError(in_.name, fmt::format("damaged video frame at {:.3f} s (the decoder reported corrupt data)",
                                                   input_seconds(frame.best_effort_timestamp)));
        if (limit_reached()) {
            av_frame_unref(&frame);
            continue;
        }
        if (frame.best_effort_timestamp != AV_NOPTS_VALUE)
            read_pts_ = frame.best_effort_timestamp;
        DecodedItem item;
        item.frame = av::make_frame();
        item.stream_format = frame.format;
        // A hardware frame comes down into a decode buffer where one is free (uploaded without a copy).
        AVFrame& pixels = software_frame(frame, transferred_, in_.name, [this](AVFrame& f) {
            static constexpr int align[4] = {64, 64, 64, 64};
            return decoding_into_processor(f.format) && take_decode_buffer(f, f.width, f.height, align);
        });
        if (&pixels != &frame) {
            item.stream_format = dec->sw_pix_fmt;
            if (!hw_noted_)
                note(fmt::format("video decoded by {} (--hwdec auto)", in_.hw_device));
            hw_noted_ = true;
        }
        av_frame_move_ref(item.frame.get(), &pixels);
        av_frame_unref(&frame);
        ++frames_read_;
        if (!decoded_q_.push(std::move(item)))
            throw StageAborted{};
    }
}

void Transcoder::encode(AVFrame* frame)
{
    const auto what = [this] { return fmt::format("frame {}", frames_.load()); };
    send_to_encoder(*encoder_, frame, *encoded_, out_name_, what, [this](AVPacket& p) {
        if (auto it = durations_.find(p.pts); it != durations_.end()) {
            if (p.duration <= 0)
                p.duration = it->second;
            durations_.erase(it);
        }
        p.stream_index = video_out_->index;
        av_packet_rescale_ts(&p, enc_tb_, video_out_->time_base);
        write(p);
    });
}

// Muxers without timestamps play every frame for 1 / frame_rate_ (the encoder's time base): each
// frame takes the slot its timestamp falls in, an empty slot repeats the previous frame and a
// second frame for a slot is dropped, as ffmpeg's -fps_mode cfr does. Constant-rate input maps
// one to one.
void Transcoder::encode_constant_rate(av::Frame frame, int64_t pts, int64_t duration)
{
    if (first_pts_ == AV_NOPTS_VALUE)
        first_pts_ = pts;
    end_pts_ = pts + duration;
    const int64_t slot = av_rescale_q_rnd(pts - first_pts_, in_tb_, enc_tb_, AV_ROUND_NEAR_INF);
    repeat_last_frame_until(slot);
    if (slot < next_slot_) {
        ++dropped_;
        return;
    }
    frame->pts = next_slot_++;
    set_frame_duration(*frame, 1);
    durations_[frame->pts] = 1;
    encode(frame.get());
    last_frame_ = std::move(frame);
}

void Transcoder::repeat_last_frame_until(int64_t slot)
{
    while (last_frame_ && next_slot_ < slot) {
        av::Frame copy(av_frame_clone(last_frame_.get()));
        if (!copy)
            throw std::bad_alloc();
        copy->pts = next_slot_++;
        durations_[copy->pts] = 1;
        encode(copy.get());
        ++repeated_;
    }
}

void Transcoder::write(AVPacket& packet)
{
    if (int rc = av_interleaved_write_frame(out_.get(), &packet); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot write to the {} muxer ({})", out_->oformat->name,
                                                av::error_text(rc)));
}

void Transcoder::write_copied(AVPacket& packet)
{
    const int in_index = packet.stream_index;
    const AVStream* is = in_.format->streams[in_index];
    const AVStream* os = out_->streams[stream_map_[in_index]];
    const AVCodecParameters* par = is->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && par->sample_rate > 0 && packet.dts != AV_NOPTS_VALUE) {
        // Audio into a finer time base (e.g. Matroska's milliseconds into MP4's samples): rescale
        // through the sample clock so that rounded timestamps do not jitter (as ffmpeg -c copy).
        const AVRational samples{1, par->sample_rate};
        int duration = av_get_audio_frame_duration2(const_cast<AVCodecParameters*>(par), packet.size);
        if (duration <= 0)
            duration = static_cast<int>(av_rescale_q(packet.duration, is->time_base, samples));
        const int64_t offset = packet.pts != AV_NOPTS_VALUE ? packet.pts - packet.dts : 0;
        int64_t& last = audio_rescale_last_[in_index];
        const int64_t dts = av_rescale_delta(is->time_base, packet.dts, samples, duration, &last, os->time_base);
        packet.pts = packet.pts != AV_NOPTS_VALUE ? dts + av_rescale_q(offset, is->time_base, os->time_base) : AV_NOPTS_VALUE;
        packet.dts = dts;
        packet.duration = av_rescale_q(packet.duration, is->time_base, os->time_base);
    } else {
        av_packet_rescale_ts(&packet, is->time_base, os->time_base);
    }
    packet.stream_index = os->index;
    packet.pos = -1;
    write(packet);
}

// The --audio packets up to `until` (seconds on the input's timeline, not from its start), after the
// header; kept separate from the copied streams so that only this hook touches the pipeline.
void Transcoder::write_replacement_audio(double until)
{
    if (!replacement_audio_ || !header_written_)
        return;
    replacement_audio_->write_until(first_video_time_, until, [this](AVPacket& p) { write(p); });
}

void Transcoder::handle_packet(AVPacket& packet)
{
    const int index = packet.stream_index;
    if (index >= 0 && index < static_cast<int>(in_.format->nb_streams) && packet.pts != AV_NOPTS_VALUE) {
        const AVRational tb = in_.format->streams[index]->time_base;
        last_end_ = std::max(last_end_, (packet.pts + std::max<int64_t>(packet.duration, 0)) * av_q2d(tb) - start_time_);
    }
    last_packet_end_byte_ = packet.pos >= 0 ? packet.pos + packet.size : -1;
    if (index == in_.video_index) {
        ++video_packets_;
        if (packet.flags & AV_PKT_FLAG_CORRUPT)
            throw VideoError(in_.name, fmt::format("damaged video packet at {:.3f} s (the demuxer flagged it corrupt)",
                                                   input_seconds(packet.pts)));
        decode(&packet);
        return;
    }
    if (index < 0 || index >= static_cast<int>(stream_map_.size()) || stream_map_[index] < 0)
        return;
    DecodedItem item;
    item.packet = av::make_packet();
    av_packet_move_ref(item.packet.get(), &packet);
    if (!decoded_q_.push(std::move(item)))
        throw StageAborted{};
}

void Transcoder::check_complete() const
{
    // A file cut short still demuxes to a clean end of file; its header's duration gives it away.
    // Demuxers disagree on what that duration measures: Matroska and MP4 declare the absolute end
    // (a file starting at 100000 s that lasts 1 s says 100001 s), others the span from the start.
    // The file is complete when its end matches either reading.
    const AVFormatContext* ic = in_.format.get();
    if (stopped_ || limit_reached())
        return;
    // y4m has no duration to compare with, and FFmpeg's demuxer ends quietly at a frame cut short:
    // bytes read past the last whole frame are what is left of one.
    if (std::string_view(ic->iformat->name) == "yuv4mpegpipe" && ic->pb && last_packet_end_byte_ >= 0 &&
        avio_tell(ic->pb) > last_packet_end_byte_)
        throw VideoError(in_.name, fmt::format("ends inside the frame after frame {} ({} bytes left over; a y4m stream "
                                               "cut short: expected whole frames)", video_packets_,
                                               avio_tell(ic->pb) - last_packet_end_byte_));
    if (ic->duration == AV_NOPTS_VALUE || ic->duration <= 0 ||
        ic->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return;
    const double declared = static_cast<double>(ic->duration) / AV_TIME_BASE;
    const auto reaches = [this](double span) { return span > 0.0 && last_end_ >= span - std::max(0.25, 0.01 * span); };
    if (reaches(declared) || reaches(declared - start_time_))
        return;
    const double expected = declared - start_time_ > 0.0 ? declared - start_time_ : declared;
    throw VideoError(in_.name, fmt::format("ends at {:.3f} s but its header says {:.3f} s (truncated or damaged; "
                                           "expected the whole file)", last_end_, expected));
}

void Transcoder::finish_output()
{
    if (int rc = av_write_trailer(out_.get()); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot finish the {} file ({})", out_->oformat->name,
                                                av::error_text(rc)));
    if (!(out_->oformat->flags & AVFMT_NOFILE) && out_->pb) {
        if (int rc = avio_closep(&out_->pb); rc < 0)
            throw VideoError(out_name_, fmt::format("cannot write the end of the file ({})", av::error_text(rc)));
    }
    if (partial_)
        partial_->commit();
}

void Transcoder::report(bool finished)
{
    if (!opts_.progress)
        return;
    const Clock::time_point now = Clock::now();
    const int64_t frames = frames_.load();
    if (!finished && frames > 1 && seconds_between(last_report_, now) < opts_.progress_interval)
        return;
    last_report_ = now;
    TranscodeProgress p;
    p.frames_done = frames;
    p.frames_total = finished ? frames : (total_estimate_ >= 0 ? std::max(total_estimate_, frames) : -1);
    p.elapsed_seconds = seconds_between(started_, now);
    const double busy = frames > 0 ? seconds_between(first_frame_at_, now) : 0.0;
    p.fps = busy > 0.0 ? static_cast<double>(frames) / busy : 0.0;
    p.eta_seconds = finished ? 0.0 : (p.frames_total >= 0 && p.fps > 0.0 ? (p.frames_total - frames) / p.fps : -1.0);
    p.media_time = media_time_.load();
    p.finished = finished;
    opts_.progress(p);
}

// Decode stage (the caller's thread): every packet read, video decoded, up to the end, the stop
// flag or the frame limit; then the strict checks and the decoder's last frames.
void Transcoder::read_all()
{
    AVFormatContext* ic = in_.format.get();
    av::Packet packet = av::make_packet();
    while (!limit_reached()) {
        if (stop_requested()) {
            stopped_ = true;
            break;
        }
        const int rc = av_read_frame(ic, packet.get());
        if (rc < 0 && stop_requested()) {  // a blocked read interrupted by the stop (AVERROR_EXIT or EOF)
            stopped_ = true;
            break;
        }
        if (rc == AVERROR_EOF)
            break;
        if (rc < 0)
            throw VideoError(in_.name, fmt::format("cannot read after {:.3f} s ({})", input_seconds(read_pts_),
                                                   av::error_text(rc)));
        handle_packet(*packet);
        av_packet_unref(packet.get());
    }
    if (!stopped_ && ic->pb && ic->pb->error < 0)
        throw VideoError(in_.name, fmt::format("read error ({})", av::error_text(ic->pb->error)));
    check_complete();
    decode(nullptr);
}

// Prepare stage: FrameProcessor::prepare_decoded() on every frame, in order, on a thread of its
// own (work on the pixels alone, e.g. the CLI's scene-cut thumbnail, off both the decoding and the
// process stage's threads). A decoding error popped here goes on in stream order (run_stages()).
void Transcoder::prepare_all()
{
    while (std::optional<DecodedItem> item = decoded_q_.pop()) {
        if (item->frame)
            processor_.prepare_decoded(*item->frame);
        if (!prepared_q_.push(std::move(*item)))
            throw StageAborted{};
    }
}

// Process stage: frames through the processor, copied packets passed on in their place; at the
// end (or at an error of the decode stage, which pop() rethrows after the frames before it) the
// frames in flight are collected.
void Transcoder::process_all()
{
    while (std::optional<DecodedItem> item = prepared_q_.pop()) {
        if (item->packet) {
            ProcessedItem passed;
            passed.packet = std::move(item->packet);
            deliver(std::move(passed));
            continue;
        }
        handle_frame(std::move(item->frame), item->stream_format);
    }
    while (!in_flight_.empty())
        collect_oldest();
}

// Encode/mux stage: every write to the output, in the order the process stage delivers.
void Transcoder::mux_all()
{
    while (std::optional<ProcessedItem> item = processed_q_.pop()) {
        if (item->packet) {
            if (header_written_)
                forward(*item->packet);
            else
                pending_.push_back(std::move(item->packet));  // until the first frame's header
            continue;
        }
        encode_frame(std::move(*item));
    }
}

void Transcoder::fail(std::exception_ptr error)
{
    {
        std::lock_guard lock(error_mutex_);
        if (!error_)
            error_ = std::move(error);
    }
    decoded_q_.abort();
    prepared_q_.abort();
    processed_q_.abort();
}

// The four stages; returns when all are done, rethrows the first failure once every thread has
// been joined (the frames in flight freed with them).
void Transcoder::run_stages()
{
    const Clock::time_point start = Clock::now();
    const auto since_start = [start] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    double decode_wall = 0, prepare_wall = 0, process_wall = 0, mux_wall = 0;
    // A stage on a thread of its own: `body`, then `finish(nullptr)`; its error goes to
    // `finish(error)` (StageAborted: another stage failed first, nothing to pass on).
    auto stage = [this, &since_start](void (Transcoder::*body)(), double& wall, auto finish) {
        return std::thread([this, body, &wall, &since_start, finish] {
            block_async_signals();
            try {
                (this->*body)();
                finish(nullptr);
            } catch (const StageAborted&) {
            } catch (...) {
                finish(std::current_exception());
            }
            wall = since_start();
        });
    };
    std::thread process = stage(&Transcoder::process_all, process_wall, [this](std::exception_ptr error) {
        if (error)
            fail(std::move(error));
        else
            processed_q_.close();
    });
    std::thread prepare, mux;
    try {
        // A decoding error (rethrown by pop) or prepare_decoded()'s goes on in stream order, after
        // the frames before it, as the decode stage's does.
        prepare = stage(&Transcoder::prepare_all, prepare_wall, [this](std::exception_ptr error) { prepared_q_.close(std::move(error)); });
        mux = stage(&Transcoder::mux_all, mux_wall, [this](std::exception_ptr error) {
            if (error)
                fail(std::move(error));
        });
    } catch (...) {
        fail(std::current_exception());
    }
    if (prepare.joinable() && mux.joinable()) {
        try {
            read_all();
            decoded_q_.close();
        } catch (const StageAborted&) {
        } catch (...) {
            decoded_q_.close(std::current_exception());  // in stream order, after the frames before it
        }
        decode_wall = since_start();
    }
    process.join();
    if (prepare.joinable())
        prepare.join();
    if (mux.joinable())
        mux.join();
    in_flight_.clear();
    TranscodeResult::StageTimes& t = result_.stage_times;  // first_submit and start: set by submit() and start_encoder()
    t.wall = since_start();
    t.decode = decode_wall - decoded_q_.push_blocked();
    t.prepare = prepare_wall - decoded_q_.pop_blocked() - prepared_q_.push_blocked();
    t.process = process_wall - prepared_q_.pop_blocked() - processed_q_.push_blocked();
    t.submit = submit_seconds_;
    t.collect = collect_seconds_;
    t.encode = mux_wall - processed_q_.pop_blocked();
    result_.decoded_into_processor = decoded_into_processor_.load();
    if (error_)
        std::rethrow_exception(error_);
}

TranscodeResult Transcoder::run()
{
    if (opts_.input.empty())
        throw VideoError("input", "no input given (expected a file name or - for standard input)");
    if (opts_.output.empty())
        throw VideoError("output", "no output given (expected a file name or - for standard output)");
    out_name_ = output_media_name(opts_.output);
    result_.output = opts_.output;
    max_frames_ = opts_.max_frames;
    requested_format_ = requested_pixel_format();
    if (opts_.output != "-") {
        refuse_same_file(opts_.output, opts_.input);
        partial_.emplace(opts_.output, opts_.overwrite);
    }

    open_unless_stopped(media_name(opts_.input, opts_.input_name), [&] {
        in_ = open_media_input(opts_.input, opts_.input_format, opts_.stdin_fd, opts_.stop, opts_.input_name,
                               opts_.hwdec);
    });
    if (in_.hw_device.empty()) {  // before the first packet: decode into the processor's buffers once it offers them
        in_.decoder->opaque = this;
        in_.decoder->get_buffer2 = decode_into;
    }
    if (!opts_.audio_input.empty())
        open_unless_stopped(media_name(opts_.audio_input, opts_.audio_input_name), [&] {
            replacement_audio_.emplace(opts_.audio_input, opts_.audio_input_name, opts_.audio_offset, opts_.stop);
        });
    AVFormatContext* ic = in_.format.get();
    AVStream* st = ic->streams[in_.video_index];
    in_tb_ = st->time_base;
    frame_rate_ = av_guess_frame_rate(ic, st, nullptr);
    if (frame_rate_.num <= 0 || frame_rate_.den <= 0)
        frame_rate_ = {25, 1};
    start_time_ = ic->start_time == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ic->start_time) / AV_TIME_BASE;
    start_ts_ = ic->start_time == AV_NOPTS_VALUE ? 0 : av_rescale_q(ic->start_time, AV_TIME_BASE_Q, in_tb_);

    open_output();

    if (st->nb_frames > 0)
        total_estimate_ = st->nb_frames;
    else if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        total_estimate_ = std::llround(st->duration * av_q2d(st->time_base) * av_q2d(frame_rate_));
    else if (ic->duration != AV_NOPTS_VALUE && ic->duration > 0)
        total_estimate_ = std::llround(static_cast<double>(ic->duration) / AV_TIME_BASE * av_q2d(frame_rate_));
    if (max_frames_ >= 0 && (total_estimate_ < 0 || total_estimate_ > max_frames_))
        total_estimate_ = max_frames_;

    run_stages();
    if (!encoder_ && stopped_)
        throw StoppedBeforeOutput(in_.name);
    if (!encoder_)
        throw VideoError(in_.name, "no video frame could be decoded (expected at least one)");
    if (no_timestamps_ && !is_image_container(*out_->oformat)) {
        // The last frame fills its own duration; then say what the constant rate changed.
        repeat_last_frame_until(av_rescale_q_rnd(end_pts_ - first_pts_, in_tb_, enc_tb_, AV_ROUND_NEAR_INF));
        if (repeated_ > 0 || dropped_ > 0)
            note(fmt::format("variable frame rate made constant at {:.6g} fps for {} ({} frame{} repeated, {} "
                             "dropped, as ffmpeg does)", av_q2d(frame_rate_), out_->oformat->name, repeated_,
                             repeated_ == 1 ? "" : "s", dropped_));
    }
    encode(nullptr);
    if (last_pts_ != AV_NOPTS_VALUE)
        write_replacement_audio((last_pts_ + last_duration_) * av_q2d(in_tb_));
    if (replacement_audio_ && header_written_)
        replacement_audio_->finish([this](AVPacket& p) { write(p); });
    for (auto& entry : reencoded_)
        entry.second->send(nullptr, [this](AVPacket& p) { write(p); });
    finish_output();

    result_.frames = no_timestamps_ ? next_slot_ : frames_.load();
    result_.stopped = stopped_;
    report(true);
    return result_;
}

}  // namespace

std::pair<std::string, std::string> parse_encoder_option(const std::string& text)
{
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw VideoError("-x", fmt::format("\"{}\" is not an encoder option (expected key=value, e.g. preset=slow)",
                                           excerpt(text)));
    return {text.substr(0, eq), text.substr(eq + 1)};
}

// The stage threads take no asynchronous signals: Ctrl-C and friends reach the caller's thread
// (the decode stage), whose blocking reads they interrupt (the CLI installs its handler without
// SA_RESTART for that).
void block_async_signals(sigset_t* previous)
{
    sigset_t set;
    sigfillset(&set);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP})
        sigdelset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, previous);
}

TranscodeResult transcode_video(const TranscodeOptions& options, FrameProcessor& processor)
{
    Transcoder transcoder(options, processor);
    return transcoder.run();
}

}  // namespace cnnv3
