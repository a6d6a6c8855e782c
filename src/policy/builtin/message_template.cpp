#include "policy/builtin/message_template.hpp"

namespace warden::policy {

std::string render_template(
    std::string_view text,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out;
  while (!text.empty()) {
    bool replaced = false;
    for (const auto& [key, value] : fields) {
      if (text.size() > key.size() + 1 && text[0] == '{' && text[key.size() + 1] == '}' &&
          text.substr(1, key.size()) == key) {
        out += value;
        text.remove_prefix(key.size() + 2);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += text.front();
      text.remove_prefix(1);
    }
  }
  return out;
}

}  // namespace warden::policy
