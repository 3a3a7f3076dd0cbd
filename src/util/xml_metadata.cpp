// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml_metadata.h"

#include <cstring>

#include <libxml/tree.h>

#include "error.h"

namespace dvs::util {

namespace {

using XmlNodePtr = CPtr<xmlNode, xmlFreeNode>;
using XmlBufferPtr = CPtr<xmlBuffer, xmlBufferFree>;

const char* fromXml(const xmlChar* s)
{
    return reinterpret_cast<const char*>(s);
}

bool hasNamespace(const xmlNode* node)
{
    return node->ns != nullptr && node->ns->href != nullptr;
}

bool sameNamespace(const xmlNode* a, const xmlNode* b)
{
    return hasNamespace(a) && hasNamespace(b) &&
           std::strcmp(fromXml(a->ns->href), fromXml(b->ns->href)) == 0;
}

void unlinkAndFree(xmlNode* node)
{
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

// virXMLNodeSanitizeNamespaces.
void sanitizeNamespaces(xmlNode* node)
{
    xmlNode* child = node->children;
    while (child != nullptr) {
        if (!hasNamespace(child)) {
            xmlNode* drop = child;
            child = child->next;
            unlinkAndFree(drop);
            continue;
        }
        xmlNode* next = child->next;
        while (next != nullptr) {
            xmlNode* drop = sameNamespace(child, next) ? next : nullptr;
            next = next->next;
            if (drop != nullptr) {
                unlinkAndFree(drop);
            }
        }
        child = child->next;
    }
}

// Drops whitespace-only text nodes, as parsing with XML_PARSE_NOBLANKS would, so that libxml2
// indents the subtree when it dumps it.
void dropBlanks(xmlNode* node)
{
    xmlNode* child = node->children;
    while (child != nullptr) {
        xmlNode* next = child->next;
        if (child->type == XML_TEXT_NODE && xmlIsBlankNode(child) != 0) {
            unlinkAndFree(child);
        } else if (child->type == XML_ELEMENT_NODE) {
            dropBlanks(child);
        }
        child = next;
    }
}

std::string dumpNode(xmlDoc* doc, xmlNode* node, int level, int format)
{
    XmlBufferPtr buf(xmlBufferCreate());
    if (!buf) {
        throw Error(ErrorCode::NoMemory, "");
    }
    int oldIndentTreeOutput = xmlIndentTreeOutput;
    xmlIndentTreeOutput = 1;
    int rc = xmlNodeDump(buf.get(), doc, node, level, format);
    xmlIndentTreeOutput = oldIndentTreeOutput;
    if (rc < 0) {
        throw Error(ErrorCode::InternalError, "Unable to format metadata element");
    }
    std::string out(fromXml(xmlBufferContent(buf.get())));
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

XmlDocument parseStored(std::string_view text)
{
    try {
        return XmlDocument::parse(text, "(metadata)");
    } catch (const Error& e) {
        raise(ErrorCode::InternalError, "Unable to format metadata element: {}", e.message());
    }
}

} // namespace

std::optional<std::string> copyMetadata(const XmlNode& metadata)
{
    if (xmlFirstElementChild(metadata.raw()) == nullptr) {
        return std::nullopt;
    }
    XmlNodePtr copy(xmlCopyNode(metadata.raw(), 1));
    if (!copy) {
        throw Error(ErrorCode::NoMemory, "");
    }
    sanitizeNamespaces(copy.get());
    // Nothing left once the elements without a namespace are gone: the same as an empty
    // <metadata/>, which is not kept either (found by the network-xml fuzz target).
    if (xmlFirstElementChild(copy.get()) == nullptr) {
        return std::nullopt;
    }
    return dumpNode(nullptr, copy.get(), 0, 0);
}

std::string dumpMetadata(std::string_view stored, int level, std::string_view replaceNs,
                         const std::optional<std::string>& replacement)
{
    XmlDocument doc = parseStored(stored);
    xmlNode* root = doc.root().raw();
    if (!replaceNs.empty()) {
        xmlNode* existing = nullptr;
        for (xmlNode* c = root->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE && hasNamespace(c) &&
                replaceNs == fromXml(c->ns->href)) {
                existing = c;
                break;
            }
        }
        if (replacement) {
            XmlDocument repl = parseStored(*replacement);
            xmlNode* node = xmlDocCopyNode(repl.root().raw(), doc.raw(), 1);
            if (node == nullptr) {
                throw Error(ErrorCode::NoMemory, "");
            }
            dropBlanks(node);
            if (existing != nullptr) {
                xmlReplaceNode(existing, node);
                xmlFreeNode(existing);
            } else {
                xmlAddChild(root, node);
            }
        } else if (existing != nullptr) {
            unlinkAndFree(existing);
        }
    }
    return dumpNode(doc.raw(), root, level, 1);
}

bool metadataHasNamespace(std::string_view stored, std::string_view nsUri)
{
    XmlDocument doc = parseStored(stored);
    for (xmlNode* c = doc.root().raw()->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && hasNamespace(c) && nsUri == fromXml(c->ns->href)) {
            return true;
        }
    }
    return false;
}

} // namespace dvs::util
