// A writer killed with SIGKILL between and during commits loses nothing it
// was told was committed, and leaves an intact SQLite file.

#include <chrono>
#include <cstdint>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

constexpr int kBatchSize = 20;

std::string crash_id(std::int32_t batch, int i) {
  return "txn_crash_" + std::to_string(batch) + "_" + std::to_string(i);
}

// The child: writes batches until killed, reporting each committed batch.
[[noreturn]] void write_until_killed(const std::string& url, int report_fd, std::int32_t first) {
  auto store = open_store(url);
  if (!store) _exit(2);
  const std::string body(16 * 1024, 'b');
  for (std::int32_t batch = first;; ++batch) {
    std::vector<TransactionRecord> records;
    for (int i = 0; i < kBatchSize; ++i) {
      TransactionRecord r = make_record(crash_id(batch, i), batch);
      r.ingress = r.egress = body;
      records.push_back(std::move(r));
    }
    if (!(*store)->write(records)) _exit(3);
    if (::write(report_fd, &batch, sizeof batch) != sizeof batch) _exit(4);
  }
}

class CrashTest : public StoreTest {};
WARDEN_FOR_BOTH_BACKENDS(CrashTest);

TEST_P(CrashTest, KilledWriterLosesNoCommittedRecord) {
  std::vector<std::int32_t> committed;
  for (int round = 0; round < 4; ++round) {
    store_.reset();  // the child opens its own connection; the parent keeps none across fork
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      write_until_killed(db_->url(), fds[1], round * 100'000);
    }
    close(fds[1]);
    // Let it commit a few batches, then kill it at a moment that varies by round.
    std::int32_t batch;
    int reported = 0;
    while (reported < 3 && read(fds[0], &batch, sizeof batch) == sizeof batch) {
      committed.push_back(batch);
      ++reported;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(round * 3));
    kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the writer exited early with status " << WEXITSTATUS(status);
    // Reports the child sent before it died are still in the pipe.
    while (read(fds[0], &batch, sizeof batch) == sizeof batch) committed.push_back(batch);
    close(fds[0]);
    ASSERT_GE(reported, 3) << "the writer reported only " << reported << " batches";

    reopen();
    if (GetParam() == Backend::kSqlite) {
      EXPECT_EQ(db_->query("PRAGMA integrity_check"),
                (std::vector<std::vector<std::string>>{{"ok"}}));
    }
    for (std::int32_t b : committed) {
      for (int i = 0; i < kBatchSize; ++i) {
        auto got = store_->get(crash_id(b, i));
        ASSERT_TRUE(got) << got.error().message;
        ASSERT_TRUE(got->has_value()) << crash_id(b, i) << " was reported committed";
      }
    }
    // Whole batches only: the store holds the reported ones and at most one more per round.
    auto count = store_->count();
    ASSERT_TRUE(count);
    EXPECT_EQ(*count % kBatchSize, 0);
    EXPECT_LE(*count, static_cast<std::int64_t>(committed.size() + round + 1) * kBatchSize);
  }
}

}  // namespace
}  // namespace warden::storage::testing
