// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl help [COMMAND], COMMAND --help, and the usage grammar that help, the man page's check
// and completion share.
#include <ostream>

#include "cli/command.h"

namespace dvs::cli {

const Command* findCommand(std::string_view name)
{
    for (const auto& command : commands()) {
        if (command.name == name) {
            return &command;
        }
    }
    return nullptr;
}

UsageGrammar parseUsage(std::string_view usage)
{
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (pos < usage.size()) {
        auto end = usage.find(' ', pos);
        if (end == std::string_view::npos) {
            end = usage.size();
        }
        if (end > pos) {
            words.emplace_back(usage.substr(pos, end - pos));
        }
        pos = end + 1;
    }
    UsageGrammar grammar;
    // words[0] is the command's name.
    for (std::size_t i = 1; i < words.size(); ++i) {
        const auto& word = words[i];
        if (word.starts_with("[--")) {
            UsageOption option;
            if (word.ends_with("]")) {
                option.name = word.substr(1, word.size() - 2);
            } else if (i + 1 < words.size() && words[i + 1].ends_with("]")) {
                option.name = word.substr(1);
                option.value = words[++i];
                option.value.pop_back();
            } else {
                option.name = word.substr(1);
            }
            grammar.options.push_back(std::move(option));
        } else if (word.starts_with("--")) {
            // A required option: "--uplink IF[,IF...]".
            UsageOption option{word, {}};
            if (i + 1 < words.size() && !words[i + 1].starts_with("-") &&
                !words[i + 1].starts_with("[")) {
                option.value = words[++i];
            }
            grammar.options.push_back(std::move(option));
        } else {
            grammar.positionals.push_back(word);
        }
    }
    return grammar;
}

void printHelp(std::ostream& out)
{
    out << "Usage: dvsctl COMMAND [ARGS...]\n"
           "       dvsctl help [COMMAND] | COMMAND --help | --version\n\nCommands:\n";
    for (const auto& command : commands()) {
        out << "  " << command.usage << "\n      " << command.summary << "\n";
    }
    out << "  help [COMMAND]\n      show this text, or what COMMAND does and its options\n"
           "\nOn failure every command prints 'error: MESSAGE' on standard error and exits 1.\n";
}

namespace {

// Text wrapped at 79 columns, on spaces.
void printWrapped(std::string_view text, std::ostream& out)
{
    constexpr std::size_t kWidth = 79;
    std::size_t column = 0;
    while (!text.empty()) {
        auto end = text.find(' ');
        auto word = text.substr(0, end);
        if (column > 0 && column + 1 + word.size() > kWidth) {
            out << "\n";
            column = 0;
        } else if (column > 0) {
            out << ' ';
            ++column;
        }
        out << word;
        column += word.size();
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    out << "\n";
}

} // namespace

void printCommandHelp(const Command& command, std::ostream& out)
{
    out << "Usage: dvsctl " << command.usage << "\n\n";
    printWrapped(command.summary, out);
    if (!command.details.empty()) {
        out << "\n" << command.details;
        if (!command.details.ends_with('\n')) {
            out << "\n";
        }
    }
}

} // namespace dvs::cli
