#include "buffer_pools.h"

extern "C" {
#include <libavutil/mem.h>
}

#include <cstring>

namespace cnnv3 {

int FramePool::get(AVFrame& frame)
{
    if (frame.format != format_ || frame.width != width_ || frame.height != height_) {
        // FFmpeg's own layout, learnt once from a frame it allocates.
        pool_.reset();
        pooled_ = false;
        format_ = frame.format;
        width_ = frame.width;
        height_ = frame.height;
        av::Frame model = av::make_frame();
        model->format = frame.format;
        model->width = frame.width;
        model->height = frame.height;
        if (int rc = av_frame_get_buffer(model.get(), 0); rc < 0) {
            format_ = -1;
            return rc;
        }
        pooled_ = model->buf[0] && !model->buf[1] && model->extended_data == model->data;
        for (int i = 0; pooled_ && i < AV_NUM_DATA_POINTERS; ++i) {
            linesize_[i] = model->linesize[i];
            offset_[i] = model->data[i] ? model->data[i] - model->buf[0]->data : -1;
        }
        if (pooled_) {
            pool_.reset(av_buffer_pool_init(model->buf[0]->size, av_buffer_alloc));
            if (!pool_)
                return AVERROR(ENOMEM);
        }
    }
    if (!pooled_)
        return av_frame_get_buffer(&frame, 0);
    AVBufferRef* buffer = av_buffer_pool_get(pool_.get());
    if (!buffer)
        return AVERROR(ENOMEM);
    frame.buf[0] = buffer;
    for (int i = 0; i < AV_NUM_DATA_POINTERS; ++i) {
        frame.data[i] = offset_[i] >= 0 ? buffer->data + offset_[i] : nullptr;
        frame.linesize[i] = linesize_[i];
    }
    frame.extended_data = frame.data;
    return 0;
}

void PacketPool::attach(AVCodecContext& enc)
{
    if (!(enc.codec && (enc.codec->capabilities & AV_CODEC_CAP_DR1)))
        return;
    enc.opaque = this;
    enc.get_encode_buffer = get_encode_buffer;
}

int PacketPool::get_encode_buffer(AVCodecContext* ctx, AVPacket* packet, int flags)
{
    auto* self = static_cast<PacketPool*>(ctx->opaque);
    const std::size_t size = static_cast<std::size_t>(packet->size) + AV_INPUT_BUFFER_PADDING_SIZE;
    AVBufferPool* pool = nullptr;
    {
        std::lock_guard lock(self->mutex_);
        if (!self->decided_) {
            self->decided_ = true;
            if (size >= min_pooled) {
                self->pool_.reset(av_buffer_pool_init(size, av_buffer_alloc));
                self->size_ = self->pool_ ? size : 0;
            }
        }
        if (size == self->size_)
            pool = self->pool_.get();
    }
    if (!pool)
        return avcodec_default_get_encode_buffer(ctx, packet, flags);
    packet->buf = av_buffer_pool_get(pool);
    if (!packet->buf)
        return AVERROR(ENOMEM);
    packet->data = packet->buf->data;
    std::memset(packet->data + packet->size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    return 0;
}

}  // namespace cnnv3
