#pragma once
// A fresh directory for an SQLite store, removed with everything in it at the
// end; shared by the unit tests that record into a real store.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace warden::testing {

class TempStoreDir final {
 public:
  TempStoreDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "warden_store_XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempStoreDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempStoreDir(const TempStoreDir&) = delete;
  TempStoreDir& operator=(const TempStoreDir&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string store_url() const { return "sqlite://" + path_ + "/warden.db"; }

 private:
  std::string path_;
};

}  // namespace warden::testing
