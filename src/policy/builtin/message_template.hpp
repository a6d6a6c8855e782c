#pragma once
// The messages policies show users ("Warden blocked a call to tool `{tool_name}`: …").

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace warden::policy {

// `text` with each `{key}` of `fields` replaced, in one pass (a value that
// itself contains "{key}" stays as it is); unknown keys stay as written.
std::string render_template(std::string_view text,
                            std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace warden::policy
