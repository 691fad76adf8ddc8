#include "ws_outbox.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace araldo::plugins::endpoint_websocket {

namespace {

constexpr std::size_t all = std::numeric_limits<std::size_t>::max();

}  // namespace

void ws_outbox::push_handshake(frame_ptr response) {
    handshake_pending_ = true;
    control_.insert(control_.begin(), std::move(response));
}

void ws_outbox::push_control(frame_ptr frame) { control_.push_back(std::move(frame)); }

void ws_outbox::push_pong(frame_ptr frame) {
    constexpr unsigned char fin_pong = 0x8A;
    for (std::size_t i = pinned_control_; i < control_.size(); ++i) {
        const std::string& queued = *control_[i];
        if (!queued.empty() && static_cast<unsigned char>(queued.front()) == fin_pong) {
            control_[i] = std::move(frame);
            return;
        }
    }
    control_.push_back(std::move(frame));
}

ws_outbox::push_result ws_outbox::push_data(const frame_ptr& frame, std::uint64_t limit, bool drop_oldest) {
    push_result r;
    if (close_queued_) return r;  // nothing follows the close frame
    const std::uint64_t size = frame->size();
    if (queued_bytes_ > 0 && queued_bytes_ + size > limit) {
        if (!drop_oldest) return r;
        // Frames already started (cut short, or pinned for a retry) stay: a
        // frame half written may alone fill the queue, and the newest message
        // still waits behind it, so the client ends up with the latest state.
        while (pending_.size() > pinned_data_ && queued_bytes_ + size > limit) {
            queued_bytes_ -= pending_.erase(pinned_data_)->size();
            ++r.dropped;
        }
    }
    pending_.push_back(frame);
    queued_bytes_ += size;
    r.queued = true;
    return r;
}

std::size_t ws_outbox::close(frame_ptr frame, bool flush) {
    if (close_queued_) return 0;
    close_queued_ = true;
    std::size_t dropped = 0;
    if (!flush && pending_.size() > pinned_data_) {
        for (std::size_t i = pinned_data_; i < pending_.size(); ++i)
            queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, pending_[i]->size());
        dropped = pending_.size() - pinned_data_;
        pending_.truncate(pinned_data_);
    }
    close_frame_ = std::move(frame);
    return dropped;
}

std::size_t ws_outbox::gather(std::span<iovec> out, std::size_t& total) const {
    if (close_sent_ || out.empty()) return 0;
    std::size_t n = 0;
    const auto add = [&](const std::string& f, std::size_t offset) {
        out[n].iov_base = const_cast<char*>(f.data() + offset);  // writes only read it
        out[n].iov_len = f.size() - offset;
        total += f.size() - offset;
        return ++n < out.size();
    };
    if (partial_ && (!add(*partial_, partial_offset_) || partial_kind_ == frame_kind::close)) return n;
    const bool pin = pinned();
    const std::size_t controls = pin ? pinned_control_ : control_.size();
    const std::size_t datas = pin ? pinned_data_ : pending_.size();
    for (std::size_t i = 0; i < controls; ++i)
        if (!add(*control_[i], 0)) return n;
    for (std::size_t i = 0; i < datas; ++i)
        if (!add(*pending_[i], 0)) return n;
    if (close_frame_ && (!pin || pinned_close_)) add(*close_frame_, 0);
    return n;
}

// Walks what was written in the order gather() laid it out: whole frames
// leave their queue, a frame cut short becomes partial_.
ws_outbox::progress ws_outbox::consumed(std::size_t bytes) {
    progress p;
    if (partial_) {
        const std::size_t left = partial_->size() - partial_offset_;
        if (bytes < left) {
            partial_offset_ += bytes;
            return p;
        }
        bytes -= left;
        frame_written(*partial_, partial_kind_, p);
        partial_.reset();
    }
    if (pinned()) {
        pinned_control_ -= static_cast<std::uint32_t>(take_control(bytes, pinned_control_, p));
        if (pinned_control_ == 0 && !partial_)
            pinned_data_ -= static_cast<std::uint32_t>(take_data(bytes, pinned_data_, p));
        if (pinned_control_ == 0 && pinned_data_ == 0 && !partial_ && pinned_close_ && bytes > 0) {
            pinned_close_ = false;
            take_close(bytes, p);
        }
        if (pinned() || partial_) return p;
    }
    take_control(bytes, all, p);
    if (!control_.empty() || partial_) return p;
    take_data(bytes, all, p);
    if (!pending_.empty() || partial_) return p;
    take_close(bytes, p);
    return p;
}

void ws_outbox::pin(std::size_t bytes) {
    // While pinned a gather offers only the pinned frames, so what a retry
    // was offered is exactly what is still pinned.
    if (pinned()) return;
    if (partial_) bytes -= std::min(bytes, partial_->size() - partial_offset_);
    const auto cover = [&bytes](const std::string& f) {
        bytes -= std::min(bytes, f.size());
        return true;
    };
    while (bytes > 0 && pinned_control_ < control_.size() && cover(*control_[pinned_control_])) ++pinned_control_;
    while (bytes > 0 && pinned_data_ < pending_.size() && cover(*pending_[pinned_data_])) ++pinned_data_;
    if (bytes > 0 && close_frame_) pinned_close_ = true;
}

void ws_outbox::clear() noexcept {
    partial_.reset();
    std::vector<frame_ptr>{}.swap(control_);
    pending_.clear();
    close_frame_.reset();
    queued_bytes_ = 0;
    pinned_control_ = pinned_data_ = 0;
    pinned_close_ = false;
}

// Takes whole control frames from the front, at most `limit`, and cuts the
// next one short with what is left of `bytes`. Returns how many left the queue.
std::size_t ws_outbox::take_control(std::size_t& bytes, std::size_t limit, progress& p) {
    const std::size_t end = std::min(limit, control_.size());
    std::size_t done = 0;
    while (done < end && bytes >= control_[done]->size()) {
        bytes -= control_[done]->size();
        frame_written(*control_[done++], frame_kind::control, p);
    }
    if (done < end && bytes > 0) cut_short(std::move(control_[done++]), std::exchange(bytes, 0), frame_kind::control);
    control_.erase(control_.begin(), control_.begin() + static_cast<std::ptrdiff_t>(done));
    // Pings come every few seconds: an idle client keeps no capacity for them.
    if (control_.empty()) std::vector<frame_ptr>{}.swap(control_);
    return done;
}

std::size_t ws_outbox::take_data(std::size_t& bytes, std::size_t limit, progress& p) {
    std::size_t done = 0;
    while (done < limit && !pending_.empty() && bytes >= pending_.front()->size()) {
        bytes -= pending_.front()->size();
        frame_written(*pending_.pop_front(), frame_kind::data, p);
        ++done;
    }
    if (done < limit && !pending_.empty() && bytes > 0) {
        cut_short(pending_.pop_front(), std::exchange(bytes, 0), frame_kind::data);
        ++done;
    }
    return done;
}

bool ws_outbox::take_close(std::size_t& bytes, progress& p) {
    if (!close_frame_ || bytes == 0) return false;
    if (bytes < close_frame_->size()) {
        cut_short(std::move(close_frame_), std::exchange(bytes, 0), frame_kind::close);
        return false;
    }
    bytes -= close_frame_->size();
    frame_written(*close_frame_, frame_kind::close, p);
    close_frame_.reset();
    return true;
}

void ws_outbox::cut_short(frame_ptr frame, std::size_t written, frame_kind kind) {
    partial_ = std::move(frame);
    partial_offset_ = written;
    partial_kind_ = kind;
}

void ws_outbox::frame_written(const std::string& frame, frame_kind kind, progress& p) {
    switch (kind) {
        case frame_kind::control:
            // The 101 is the first control frame, and nothing is written before it.
            if (std::exchange(handshake_pending_, false)) p.handshake_done = true;
            break;
        case frame_kind::data:
            queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, frame.size());
            ++p.data_frames;
            break;
        case frame_kind::close:
            close_sent_ = true;
            p.close_done = true;
            break;
    }
}

}  // namespace araldo::plugins::endpoint_websocket
