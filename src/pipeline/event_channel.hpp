#pragma once
// The bounded channel between two pipeline stages. It carries batches: the
// events one upstream read produced travel together, so a burst costs one
// channel hop and one client write instead of one per event. The end of a
// stream is a batch sent with error `asio::error::eof`; `close()` is only for
// aborting.

#include <vector>

#include <boost/asio/experimental/channel.hpp>
#include <boost/system/error_code.hpp>

#include "core/stream_event.hpp"

namespace warden::pipeline {

using EventBatch = std::vector<core::StreamEvent>;
using EventChannel =
    boost::asio::experimental::channel<void(boost::system::error_code, EventBatch)>;

// Aborts a channel: operations waiting on it fail now and later ones fail at
// once. (`close()` alone wakes waiting receivers but leaves a sender blocked
// on a full channel waiting forever; `cancel()` wakes both.)
inline void close_channel(EventChannel& channel) {
  channel.cancel();
  channel.close();
}

// A batch of one event (a named local for the GCC 12 co_await rule).
inline EventBatch batch_of(core::StreamEvent event) {
  EventBatch batch;
  batch.push_back(std::move(event));
  return batch;
}

}  // namespace warden::pipeline
