// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include "cdeleter.h"

namespace dvs::util {

using XmlDocPtr = CPtr<xmlDoc, xmlFreeDoc>;

// Largest XML document we parse: libvirt's REMOTE_STRING_MAX.
inline constexpr std::size_t kXmlMaxSize = 4194304;

// A borrowed element of an XmlDocument; valid while the document lives. Only element children are
// visible through it; text is read with text().
class XmlNode
{
public:
    explicit XmlNode(xmlNode* node) noexcept : node_(node) {}

    // Local name of the element.
    std::string_view name() const noexcept;
    // Namespace URI of the element, empty when it has none.
    std::string_view namespaceUri() const noexcept;
    // Line in the source document.
    long line() const noexcept;

    // Value of an attribute without namespace; nullopt when absent.
    std::optional<std::string> attr(const char* name) const;
    // Value of an attribute in a namespace; nullopt when absent.
    std::optional<std::string> attrNs(const char* name, const char* nsUri) const;
    // Names of all attributes without a namespace, in document order.
    std::vector<std::string> attrNames() const;
    // Whether an attribute is present.
    bool hasAttr(const char* name) const;

    // Concatenated text content of the element and its descendants (xmlNodeGetContent).
    std::string text() const;

    // Element children, in document order.
    std::vector<XmlNode> children() const;
    // Element children with the given local name and no namespace.
    std::vector<XmlNode> children(std::string_view name) const;
    // First element child with the given local name and no namespace.
    std::optional<XmlNode> child(std::string_view name) const;
    // First element child with the given local name in the given namespace.
    std::optional<XmlNode> childNs(std::string_view name, std::string_view nsUri) const;
    // Number of element children with the given name (and no namespace).
    std::size_t countChildren(std::string_view name) const;

    // Serialises the element with its subtree as libxml2 does (xmlNodeDump, formatted), each line
    // prefixed by indent spaces after the first. Used to keep <metadata> verbatim.
    std::string dump(int indent = 0) const;

    xmlNode* raw() const noexcept { return node_; }

private:
    xmlNode* node_;
};

// A parsed, owned document.
class XmlDocument
{
public:
    // Parses XML text. url names the source in error messages, as libvirt's
    // "(network_definition)". The parser reads nothing from the network or the file system: no
    // external entities, no DTD loading, and documents with a DOCTYPE are refused. Throws
    // Error(XmlDetail) for text that is not well formed, Error(XmlError) for a DOCTYPE or a
    // document over kXmlMaxSize.
    static XmlDocument parse(std::string_view text, std::string_view url = "(null)");
    // Reads and parses a file (same rules; a file larger than kXmlMaxSize is refused).
    static XmlDocument parseFile(const std::filesystem::path& path);

    // Parses and checks the root element's name; libvirt's "expecting root element of ..." error
    // otherwise.
    static XmlDocument parse(std::string_view text, std::string_view url,
                             std::string_view rootName);

    XmlNode root() const noexcept;

    // Validates against a RelaxNG schema file. Throws Error(XmlInvalidSchema) with libxml2's
    // first complaint.
    void validateRelaxNg(const std::filesystem::path& schema) const;

    xmlDoc* raw() const noexcept { return doc_.get(); }

private:
    explicit XmlDocument(XmlDocPtr doc) : doc_(std::move(doc)) {}
    XmlDocPtr doc_;
};

// Writes XML in libvirt's canonical layout: two spaces per level, single-quoted attributes, an
// element without content closed as "<x/>", an element with only text on one line, and libvirt's
// escaping (virBufferEscapeString).
class XmlWriter
{
public:
    explicit XmlWriter(int indentLevel = 0) : baseLevel_(indentLevel) {}

    // Opens an element; attributes follow with attr().
    void start(std::string_view name);
    void attr(std::string_view name, std::string_view value);
    void attr(std::string_view name, const std::string& value)
    {
        attr(name, std::string_view(value));
    }
    void attr(std::string_view name, const char* value) { attr(name, std::string_view(value)); }
    template <typename Number>
        requires std::is_arithmetic_v<Number>
    void attr(std::string_view name, Number value)
    {
        attr(name, std::string_view(std::to_string(value)));
    }
    // Text content of the open element (escaped); the element is then closed on the same line.
    void text(std::string_view text);
    // Makes the open element print an opening and a closing tag even when it gets no children.
    void forceOpen();
    // Appends already formatted lines as children of the open element; each line of text is
    // indented to the current level.
    void raw(std::string_view text);
    // Appends text exactly as given (no indentation, no escaping) as content of the open
    // element; the caller provides the indentation and the final newline. Used for libxml2 dumps
    // that must stay byte-exact, such as <metadata>.
    void verbatim(std::string_view text);
    // Indentation level of the next child element (the base level plus the open elements).
    int level() const noexcept { return baseLevel_ + static_cast<int>(stack_.size()); }
    // Closes the innermost open element.
    void end();

    // Shortcut: <name>text</name>.
    void element(std::string_view name, std::string_view text)
    {
        start(name);
        this->text(text);
        end();
    }

    // The document so far; every element must be closed.
    const std::string& str() const;
    std::string take() &&;

    // libvirt's escaping of attribute values and text.
    static void escape(std::string& out, std::string_view text);

private:
    enum class State
    {
        Attributes,
        Children,
        Text
    };
    struct Open
    {
        std::string name;
        State state;
        bool forced;
    };
    void openBody();
    void indent(std::size_t level);

    int baseLevel_;
    std::string out_;
    std::vector<Open> stack_;
};

} // namespace dvs::util
