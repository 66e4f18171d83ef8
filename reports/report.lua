-- Layout of the annual report in each format (listed under `filters:` in _quarto.yml).
--
-- 1. The sample-data notice (::: {.sample-notice}) as a framed box, not a Quarto callout: Quarto's
--    Typst callouts import the @preview/fontawesome package, which Typst downloads when it makes the
--    PDF, so an offline server could not. HTML styles the div (report.css), Word gets the paragraph
--    style "Sample Notice" (reference.docx), Typst a plain block.
-- 2. Typst: a table caption is printed above its table and kept on the same page. Quarto renders a
--    table without a cross-reference label as a bare Typst table and its caption is lost
--    (quarto-dev/quarto-cli#10438).
-- 3. A figure stays on the page of its caption (the paragraph after it): a sticky block in Typst,
--    Word's "Figure" style (keep with next) in docx.

local function typst(text)
  return pandoc.RawBlock("typst", text)
end

function Div(div)
  if not div.classes:includes("sample-notice") then
    return nil
  end
  if FORMAT:match("typst") then
    local blocks = pandoc.List({ typst(
      '#block(width: 100%, inset: 8pt, fill: rgb("#fcefdc"), stroke: (left: 3pt + rgb("#b35900")))[') })
    blocks:extend(div.content)
    blocks:insert(typst("]"))
    return blocks
  elseif FORMAT:match("docx") then
    div.attributes["custom-style"] = "Sample Notice"
    return div
  end
  return div
end

function Table(tbl)
  if not FORMAT:match("typst") or #tbl.caption.long == 0 then
    return nil
  end
  local blocks = pandoc.List({ typst('#block(sticky: true, below: 0.6em)[#set text(style: "italic")') })
  blocks:extend(tbl.caption.long)
  blocks:insert(typst("]"))
  tbl.caption.long = pandoc.Blocks({})
  blocks:insert(tbl)
  return blocks
end

local function only_image(para)
  local images = 0
  for _, el in ipairs(para.content) do
    if el.t == "Image" then
      images = images + 1
    elseif el.t ~= "Space" and el.t ~= "SoftBreak" then
      return false
    end
  end
  return images == 1
end

local function keep_with_caption(para)
  if not only_image(para) then
    return nil
  end
  if FORMAT:match("typst") then
    return { typst("#block(sticky: true)["), para, typst("]") }
  elseif FORMAT:match("docx") then
    return pandoc.Div({ para }, { ["custom-style"] = "Figure" })
  end
  return nil
end

Para = keep_with_caption
Plain = keep_with_caption
