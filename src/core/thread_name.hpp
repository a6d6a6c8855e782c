#pragma once
// Names the calling thread (at most 15 characters), so top, perf and
// /proc/PID/task/*/comm tell the I/O threads from the recorder; the benchmark
// splits CPU time by these names.

#include <pthread.h>

namespace warden::core {

inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace warden::core
