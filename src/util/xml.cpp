// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml.h"

#include <cstring>

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>

#include "error.h"
#include "file.h"

namespace dvs::util {

namespace {

using XmlParserCtxtPtr = CPtr<xmlParserCtxt, xmlFreeParserCtxt>;
using XmlBufferPtr = CPtr<xmlBuffer, xmlBufferFree>;
using XmlRngParserCtxtPtr = CPtr<xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt>;
using XmlRngPtr = CPtr<xmlRelaxNG, xmlRelaxNGFree>;
using XmlRngValidCtxtPtr = CPtr<xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt>;

struct XmlCharDeleter
{
    void operator()(xmlChar* p) const noexcept { xmlFree(p); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;

const xmlChar* toXml(const char* s)
{
    return reinterpret_cast<const xmlChar*>(s);
}

const char* fromXml(const xmlChar* s)
{
    return reinterpret_cast<const char*>(s);
}

std::string takeXmlString(xmlChar* s)
{
    XmlCharPtr owned(s);
    return owned ? std::string(fromXml(owned.get())) : std::string();
}

bool nameIs(const xmlNode* node, std::string_view name)
{
    return node->type == XML_ELEMENT_NODE && name == fromXml(node->name);
}

std::string trimTrailingNewlines(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

} // namespace

std::string_view XmlNode::name() const noexcept
{
    return fromXml(node_->name);
}

std::string_view XmlNode::namespaceUri() const noexcept
{
    if (node_->ns == nullptr || node_->ns->href == nullptr) {
        return {};
    }
    return fromXml(node_->ns->href);
}

long XmlNode::line() const noexcept
{
    return xmlGetLineNo(node_);
}

std::optional<std::string> XmlNode::attr(const char* name) const
{
    xmlChar* value = xmlGetNoNsProp(node_, toXml(name));
    if (value == nullptr) {
        return std::nullopt;
    }
    return takeXmlString(value);
}

std::optional<std::string> XmlNode::attrNs(const char* name, const char* nsUri) const
{
    xmlChar* value = xmlGetNsProp(node_, toXml(name), toXml(nsUri));
    if (value == nullptr) {
        return std::nullopt;
    }
    return takeXmlString(value);
}

std::vector<std::string> XmlNode::attrNames() const
{
    std::vector<std::string> names;
    for (xmlAttr* a = node_->properties; a != nullptr; a = a->next) {
        if (a->ns == nullptr) {
            names.emplace_back(fromXml(a->name));
        }
    }
    return names;
}

bool XmlNode::hasAttr(const char* name) const
{
    return xmlHasNsProp(node_, toXml(name), nullptr) != nullptr;
}

std::string XmlNode::text() const
{
    return takeXmlString(xmlNodeGetContent(node_));
}

std::vector<XmlNode> XmlNode::children() const
{
    std::vector<XmlNode> out;
    for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            out.emplace_back(c);
        }
    }
    return out;
}

std::vector<XmlNode> XmlNode::children(std::string_view name) const
{
    std::vector<XmlNode> out;
    for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
        if (nameIs(c, name) && c->ns == nullptr) {
            out.emplace_back(c);
        }
    }
    return out;
}

std::optional<XmlNode> XmlNode::child(std::string_view name) const
{
    for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
        if (nameIs(c, name) && c->ns == nullptr) {
            return XmlNode(c);
        }
    }
    return std::nullopt;
}

std::optional<XmlNode> XmlNode::childNs(std::string_view name, std::string_view nsUri) const
{
    for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
        if (nameIs(c, name) && c->ns != nullptr && c->ns->href != nullptr &&
            nsUri == fromXml(c->ns->href)) {
            return XmlNode(c);
        }
    }
    return std::nullopt;
}

std::size_t XmlNode::countChildren(std::string_view name) const
{
    std::size_t n = 0;
    for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
        if (nameIs(c, name) && c->ns == nullptr) {
            ++n;
        }
    }
    return n;
}

std::string XmlNode::dump(int indent) const
{
    XmlBufferPtr buf(xmlBufferCreate());
    if (!buf) {
        throw Error(ErrorCode::NoMemory, "");
    }
    int oldIndentTreeOutput = xmlIndentTreeOutput;
    xmlIndentTreeOutput = 1;
    int rc = xmlNodeDump(buf.get(), node_->doc, node_, indent / 2, 1);
    xmlIndentTreeOutput = oldIndentTreeOutput;
    if (rc < 0) {
        throw Error(ErrorCode::InternalError, "unable to format an XML element");
    }
    return std::string(fromXml(xmlBufferContent(buf.get())));
}

XmlDocument XmlDocument::parse(std::string_view text, std::string_view url)
{
    if (text.size() > kXmlMaxSize) {
        raise(ErrorCode::XmlError, "document is larger than {} bytes", kXmlMaxSize);
    }
    XmlParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (!ctxt) {
        throw Error(ErrorCode::NoMemory, "");
    }
    std::string urlString(url);
    // NONET: never fetch anything. No NOENT and no DTDLOAD: entities are not substituted and no
    // external subset is read. NOERROR/NOWARNING: libxml2 prints nothing; we report.
    int options = XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
    XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                    urlString.c_str(), nullptr, options));
    if (!doc || !ctxt->wellFormed) {
        const xmlError* err = xmlCtxtGetLastError(ctxt.get());
        std::string message = err != nullptr && err->message != nullptr
                                  ? trimTrailingNewlines(err->message)
                                  : std::string("failed to parse xml document");
        int line = err != nullptr ? err->line : 0;
        raise(ErrorCode::XmlDetail, "{}:{}: {}", urlString, line, message);
    }
    if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
        raise(ErrorCode::XmlError, "documents with a DOCTYPE are not accepted in '{}'", urlString);
    }
    if (xmlDocGetRootElement(doc.get()) == nullptr) {
        raise(ErrorCode::XmlError, "missing root element in '{}'", urlString);
    }
    return XmlDocument(std::move(doc));
}

XmlDocument XmlDocument::parse(std::string_view text, std::string_view url,
                               std::string_view rootName)
{
    auto doc = parse(text, url);
    auto root = doc.root();
    if (root.name() != rootName || !root.namespaceUri().empty()) {
        raise(ErrorCode::XmlError, "expecting root element of '{}', not '{}'", rootName,
              root.name());
    }
    return doc;
}

XmlDocument XmlDocument::parseFile(const std::filesystem::path& path)
{
    return parse(readFile(path, kXmlMaxSize), path.string());
}

XmlNode XmlDocument::root() const noexcept
{
    return XmlNode(xmlDocGetRootElement(doc_.get()));
}

namespace {

// Collects the first message of libxml2's RelaxNG validator.
void collectRngError(void* userData, const xmlError* error) noexcept
{
    auto* first = static_cast<std::string*>(userData);
    if (first->empty() && error != nullptr && error->message != nullptr) {
        try {
            std::string where;
            if (error->node != nullptr) {
                auto* node = static_cast<xmlNode*>(error->node);
                where = fmt::format("element '{}' (line {}): ", fromXml(node->name),
                                    xmlGetLineNo(node));
            }
            *first = where + trimTrailingNewlines(error->message);
        } catch (...) {
            // Out of memory while formatting: keep the generic message.
        }
    }
}

} // namespace

void XmlDocument::validateRelaxNg(const std::filesystem::path& schema) const
{
    XmlRngParserCtxtPtr pctxt(xmlRelaxNGNewParserCtxt(schema.c_str()));
    if (!pctxt) {
        raise(ErrorCode::InternalError, "unable to load RelaxNG schema '{}'", schema.string());
    }
    XmlRngPtr rng(xmlRelaxNGParse(pctxt.get()));
    if (!rng) {
        raise(ErrorCode::InternalError, "unable to parse RelaxNG schema '{}'", schema.string());
    }
    XmlRngValidCtxtPtr vctxt(xmlRelaxNGNewValidCtxt(rng.get()));
    if (!vctxt) {
        throw Error(ErrorCode::NoMemory, "");
    }
    std::string first;
    xmlRelaxNGSetValidStructuredErrors(
        vctxt.get(), [](void* data, xmlErrorPtr e) { collectRngError(data, e); }, &first);
    if (xmlRelaxNGValidateDoc(vctxt.get(), doc_.get()) != 0) {
        if (first.empty()) {
            first = "document does not match the schema";
        }
        raise(ErrorCode::XmlInvalidSchema, "{}: {}", schema.filename().string(), first);
    }
}

void XmlWriter::escape(std::string& out, std::string_view text)
{
    for (char c : text) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            // Like virBufferEscapeString: control characters other than tab, newline and carriage
            // return are dropped.
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t' || c == '\r') {
                out += c;
            }
            break;
        }
    }
}

namespace {

// Like XmlWriter::escape(), and the whitespace a parser would not give back as written goes as a
// character reference: in an attribute value a tab, newline or carriage return (attribute-value
// normalisation makes them spaces), in text a carriage return (end-of-line handling makes it a
// newline). libvirt writes them as they are and loses them on the next read (found by the
// network-xml fuzz target).
void escapeExact(std::string& out, std::string_view text, bool attribute)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char* ref = c == '\r'                ? "&#13;"
                          : attribute && c == '\t' ? "&#9;"
                          : attribute && c == '\n' ? "&#10;"
                                                   : nullptr;
        if (ref != nullptr) {
            XmlWriter::escape(out, text.substr(start, i - start));
            out += ref;
            start = i + 1;
        }
    }
    XmlWriter::escape(out, text.substr(start));
}

} // namespace

void XmlWriter::indent(std::size_t level)
{
    out_.append(2 * (static_cast<std::size_t>(baseLevel_) + level), ' ');
}

void XmlWriter::openBody()
{
    if (stack_.empty()) {
        return;
    }
    auto& top = stack_.back();
    if (top.state == State::Attributes) {
        out_ += ">\n";
        top.state = State::Children;
    }
}

void XmlWriter::start(std::string_view name)
{
    openBody();
    indent(stack_.size());
    out_ += '<';
    out_ += name;
    stack_.push_back({std::string(name), State::Attributes, false});
}

void XmlWriter::attr(std::string_view name, std::string_view value)
{
    out_ += ' ';
    out_ += name;
    out_ += "='";
    escapeExact(out_, value, true);
    out_ += '\'';
}

void XmlWriter::text(std::string_view text)
{
    auto& top = stack_.back();
    if (top.state == State::Attributes) {
        out_ += '>';
        top.state = State::Text;
    }
    escapeExact(out_, text, false);
}

void XmlWriter::forceOpen()
{
    stack_.back().forced = true;
}

void XmlWriter::raw(std::string_view text)
{
    openBody();
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
        if (!line.empty()) {
            indent(stack_.size());
            out_ += line;
        }
        out_ += '\n';
        if (nl == std::string_view::npos) {
            break;
        }
        pos = nl + 1;
    }
}

void XmlWriter::verbatim(std::string_view text)
{
    openBody();
    out_ += text;
}

void XmlWriter::end()
{
    auto top = std::move(stack_.back());
    stack_.pop_back();
    switch (top.state) {
    case State::Attributes:
        if (top.forced) {
            out_ += ">\n";
            indent(stack_.size());
            out_ += "</" + top.name + ">\n";
        } else {
            out_ += "/>\n";
        }
        break;
    case State::Text:
        out_ += "</" + top.name + ">\n";
        break;
    case State::Children:
        indent(stack_.size());
        out_ += "</" + top.name + ">\n";
        break;
    }
}

const std::string& XmlWriter::str() const
{
    return out_;
}

std::string XmlWriter::take() &&
{
    return std::move(out_);
}

} // namespace dvs::util
