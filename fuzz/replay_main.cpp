// Runs a fuzz target over files instead of fuzzing: every file under the paths given
// (files or directories, recursively) goes once through LLVMFuzzerTestOneInput. The GCC
// build links each target with this file, so the corpus is an ordinary test.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run_file(const std::filesystem::path& path, std::size_t& count) {
  std::ifstream in(path, std::ios::binary);
  const std::string input{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  ++count;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path root(argv[i]);
    if (!std::filesystem::exists(root)) {
      std::cerr << argv[0] << ": " << root << " does not exist\n";
      return 1;
    }
    if (!std::filesystem::is_directory(root)) {
      run_file(root, count);
      continue;
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) run_file(entry.path(), count);
    }
  }
  std::cout << argv[0] << ": " << count << " inputs ran\n";
  return 0;
}
