#pragma once
// The bounded channel between two pipeline stages. The end of a stream is an
// event sent with error `asio::error::eof`; `close()` is only for aborting.

#include <boost/asio/experimental/channel.hpp>
#include <boost/system/error_code.hpp>

#include "core/stream_event.hpp"

namespace warden::pipeline {

using EventChannel =
    boost::asio::experimental::channel<void(boost::system::error_code, core::StreamEvent)>;

// Aborts a channel: operations waiting on it fail now and later ones fail at
// once. (`close()` alone wakes waiting receivers but leaves a sender blocked
// on a full channel waiting forever; `cancel()` wakes both.)
inline void close_channel(EventChannel& channel) {
  channel.cancel();
  channel.close();
}

}  // namespace warden::pipeline
