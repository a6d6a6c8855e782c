// open_store(): the URL forms, and errors that say what is wrong without the
// password; PostgreSQL reconnecting after the server dropped the session.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPassword = "Sup3r-S3cret-pw";

// A temporary directory used as $HOME for the test, removed afterwards.
class OpenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "warden_open_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    if (const char* home = std::getenv("HOME")) old_home_ = home;
    setenv("HOME", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (old_home_) setenv("HOME", old_home_->c_str(), 1);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The error open_store(url) fails with; a test failure when it succeeds.
  core::Error open_error(const std::string& url) {
    auto store = open_store(url);
    EXPECT_FALSE(store) << url;
    return store ? core::Error(core::ErrorKind::kInternal, "") : store.error();
  }

  std::string dir_;
  std::optional<std::string> old_home_;
};

TEST_F(OpenStoreTest, SqliteUrlForms) {
  for (const std::string& url :
       {"sqlite://" + dir_ + "/abs/a.db", std::string("sqlite://~/home/b.db"),
        std::string("sqlite:///~/home/c.db"), dir_ + "/plain/d.db", std::string("~/plain/e.db")}) {
    auto store = open_store(url);
    ASSERT_TRUE(store) << url << ": " << store.error().message;
    ASSERT_TRUE((*store)->write({make_record("txn_a", 1)})) << url;
  }
  for (const char* file : {"abs/a.db", "home/b.db", "home/c.db", "plain/d.db", "plain/e.db"}) {
    EXPECT_TRUE(fs::is_regular_file(dir_ + "/" + file)) << file;
  }
}

TEST_F(OpenStoreTest, BadUrlsSayWhatIsWrong) {
  core::Error e = open_error("");
  EXPECT_EQ(e.kind, core::ErrorKind::kInvalidRequest);
  EXPECT_NE(e.message.find("empty"), std::string::npos) << e.message;

  e = open_error("mysql://root:" + std::string(kPassword) + "@db.example.com/warden");
  EXPECT_EQ(e.kind, core::ErrorKind::kInvalidRequest);
  EXPECT_NE(e.message.find("\"mysql\""), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find(kPassword), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("db.example.com"), std::string::npos) << e.message;

  e = open_error("sqlite://relative.db");
  EXPECT_NE(e.message.find("sqlite:///absolute/path.db"), std::string::npos) << e.message;
}

TEST_F(OpenStoreTest, UnwritableSqlitePathNamesIt) {
  std::ofstream(dir_ + "/file") << "not a directory";
  core::Error e = open_error(dir_ + "/file/sub/w.db");
  EXPECT_NE(e.message.find(dir_ + "/file/sub"), std::string::npos) << e.message;

  std::ofstream(dir_ + "/garbage.db") << std::string(8192, 'x');
  e = open_error(dir_ + "/garbage.db");
  EXPECT_NE(e.message.find("not a database"), std::string::npos) << e.message;
}

TEST_F(OpenStoreTest, UnreachablePostgresIsAClearErrorWithoutThePassword) {
  for (const std::string& url :
       {"postgresql://warden:" + std::string(kPassword) + "@127.0.0.1:1/warden",
        "postgres://warden:" + std::string(kPassword) + "@127.0.0.1:1/warden",
        "postgresql://warden@127.0.0.1:1/warden?password=" + std::string(kPassword)}) {
    core::Error e = open_error(url);
    EXPECT_EQ(e.kind, core::ErrorKind::kUnavailable) << e.message;
    EXPECT_NE(e.message.find("PostgreSQL connection failed"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("127.0.0.1"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(kPassword), std::string::npos) << e.message;
  }
}

// A URL for the test server with a password and `database` in it.
std::string server_url_with_password(std::string_view password, std::string_view database) {
  const std::string base = postgres_base_url();
  const std::size_t start = base.find("://") + 3;
  const std::size_t at = base.find('@', start);
  const std::size_t host = at == std::string::npos ? start : at + 1;
  const std::size_t path = base.find('/', host);
  return base.substr(0, start) + "warden:" + std::string(password) + "@" +
         base.substr(host, path - host) + "/" + std::string(database);
}

TEST_F(OpenStoreTest, PostgresServerErrorsOmitThePassword) {
  ASSERT_NE(postgres_base_url(), "") << kNoPostgres;
  // The server trusts loopback, so the password is ignored and the database is what fails;
  // a malformed URL fails in libpq, which tends to quote the text it could not parse.
  for (const std::string& url :
       {server_url_with_password(kPassword, "warden_no_such_database"),
        server_url_with_password("p%40ss%2Fw0rd-Sup3r", "warden_no_such_database"),
        server_url_with_password(std::string(kPassword) + "%zz", "warden"),
        "postgresql://warden:" + std::string(kPassword) + "@[::1/warden"}) {
    core::Error e = open_error(url);
    EXPECT_NE(e.message.find("PostgreSQL connection failed"), std::string::npos) << e.message;
    for (std::string_view secret : {kPassword, std::string_view("p%40ss%2Fw0rd-Sup3r"),
                                    std::string_view("p@ss/w0rd-Sup3r")}) {
      EXPECT_EQ(e.message.find(secret), std::string::npos) << e.message;
    }
  }
}

// Not parameterized: only PostgreSQL has a connection to lose.
TEST(PostgresStoreTest, ReconnectsWhenTheServerDropsTheSession) {
  ASSERT_NE(postgres_base_url(), "") << kNoPostgres;
  TestDatabase db(Backend::kPostgres);
  ASSERT_EQ(db.error(), "");
  auto store = open_store(db.url());
  ASSERT_TRUE(store) << store.error().message;
  Store& s = **store;
  ASSERT_TRUE(s.write({make_record("txn_a", 1)}));

  db.terminate_connections();
  auto count = s.count();
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 1);

  db.terminate_connections();  // and the prepared upsert is prepared again
  auto written = s.write({make_record("txn_b", 2)});
  ASSERT_TRUE(written) << written.error().message;

  db.terminate_connections();
  auto listed = s.list({});
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(ids_of(*listed), (std::vector<std::string>{"txn_b", "txn_a"}));

  for (int i = 0; i < 3; ++i) {
    db.terminate_connections();
    auto got = s.get("txn_a");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(got->has_value());
  }
}

}  // namespace
}  // namespace warden::storage::testing
