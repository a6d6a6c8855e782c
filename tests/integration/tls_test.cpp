// HTTPS to the upstream with real certificate checks: a private CA made by the
// openssl command for this test, the mock serving a certificate it signed.

#include <cstdlib>

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

struct Pki {
  std::string dir = temp_dir();
  std::string ca = dir + "/ca.pem";
  std::string cert = dir + "/server.pem";
  std::string key = dir + "/server.key";
  std::string other_ca = dir + "/other-ca.pem";

  Pki() {
    // A CA, a server certificate for "localhost" signed by it, and an unrelated CA.
    const std::string script =
        "set -e; cd " + dir +
        "; openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2"
        " -subj /CN=warden-test-ca 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr"
        " -subj /CN=localhost 2>/dev/null"
        "; printf 'subjectAltName=DNS:localhost\\n' > ext.cnf"
        "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out server.pem -days 2 -extfile ext.cnf 2>/dev/null"
        "; openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2"
        " -subj /CN=other-ca 2>/dev/null";
    if (std::system(("bash -c \"" + script + "\"").c_str()) != 0) {
      throw std::runtime_error("openssl could not make the test certificates");
    }
  }
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new Pki();
    mock_ = new Process({"mock-upstream", "--port", "0", "--tls-cert", pki_->cert, "--tls-key",
                         pki_->key});
  }
  static void TearDownTestSuite() {
    delete mock_;
    delete pki_;
  }
  static Process start_warden(const std::string& host, const std::string& ca_file) {
    return Process({"serve"}, {{"WARDEN_LISTEN", "127.0.0.1:0"},
                               {"WARDEN_PROVIDERS_ANTHROPIC_BASE_URL",
                                "https://" + host + ":" + std::to_string(mock_->port())},
                               {"WARDEN_PROVIDERS_ANTHROPIC_CA_FILE", ca_file}});
  }
  static HttpResponse ask(const Process& warden, bool stream) {
    return http(warden.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                messages_body("claude-x", stream)});
  }
  static Pki* pki_;
  static Process* mock_;
};
Pki* TlsTest::pki_ = nullptr;
Process* TlsTest::mock_ = nullptr;

TEST_F(TlsTest, TrustedCertificateWorksStreamingAndNot) {
  Process warden = start_warden("localhost", pki_->ca);
  const auto streamed = ask(warden, true);
  EXPECT_EQ(streamed.status, 200u) << streamed.body;
  EXPECT_NE(streamed.body.find("message_stop"), std::string::npos);
  EXPECT_EQ(ask(warden, false).status, 200u);
  // Pooled: a second round on the same TLS connection works too.
  EXPECT_EQ(ask(warden, true).status, 200u);
}

TEST_F(TlsTest, UntrustedCertificateIs502) {
  Process warden = start_warden("localhost", pki_->other_ca);
  const auto response = ask(warden, true);
  EXPECT_EQ(response.status, 502u);
  EXPECT_NE(response.body.find("TLS handshake"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("certificate verify failed"), std::string::npos) << response.body;
}

TEST_F(TlsTest, CertificateForAnotherHostIs502) {
  // The certificate names localhost only; 127.0.0.1 must not be accepted.
  Process warden = start_warden("127.0.0.1", pki_->ca);
  const auto response = ask(warden, false);
  EXPECT_EQ(response.status, 502u);
  EXPECT_NE(response.body.find("TLS handshake"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace warden::testing
