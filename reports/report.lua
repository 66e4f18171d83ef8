-- Layout of the annual report in each format (listed under `filters:` in _quarto.yml).
--
-- 1. The sample-data notice (::: {.sample-notice}) as a framed box, not a Quarto callout: Quarto's
--    Typst callouts import the @preview/fontawesome package, which Typst downloads when it makes the
--    PDF, so an offline server could not. HTML styles the div (report.css), Word gets the paragraph
--    style "Sample Notice" (reference.docx), Typst a plain block.
-- 2. Typst: a table caption is printed above its table and kept on the same page. Quarto renders a
--    table without a cross-reference label as a bare Typst table and its caption is lost
--    (quarto-dev/quarto-cli#10438).
-- 3. A figure stays with its caption (the paragraph after it): in Typst both are one unbreakable
--    block; in Word the figure has the "Figure" style (keep with next). A short table stays with its
--    caption and source line.

local function typst(text)
  return pandoc.RawBlock("typst", text)
end

local function notice(div)
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

local function Table(tbl)
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
  if para.t ~= "Para" and para.t ~= "Plain" then
    return false
  end
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

-- An output of a code cell: a Div holding one block.
local function single(block)
  if block.t == "Div" and #block.content == 1 then
    return block.content[1]
  end
  return block
end

local function is_caption(block)
  return pandoc.utils.stringify(block):match("^Figur") ~= nil
end

-- Typst: a figure and its caption are one unbreakable block in the text flow, where the document puts
-- them: a float could move a figure into the next chapter or into the middle of a sentence.
local function typst_cell(div)
  local out, found, i = pandoc.List(), false, 1
  while i <= #div.content do
    local block, nxt = div.content[i], div.content[i + 1]
    if only_image(single(block)) and nxt and is_caption(nxt) then
      out:insert(typst("#block(width: 100%, breakable: false)["))
      out:insert(single(block))
      out:extend(nxt.t == "Div" and nxt.content or { nxt })
      out:insert(typst("]"))
      found, i = true, i + 2
    else
      out:insert(block)
      i = i + 1
    end
  end
  if found then
    return out
  end
  return nil
end

-- Typst: a table of up to KEEP_ROWS rows and KEEP_CHARS characters (so it is surely shorter than a
-- page) stays on one page with its caption and its source line (the output of one table_block call); a
-- longer table may break over pages.
local KEEP_ROWS = 24
local KEEP_CHARS = 2500

local function count_rows(tbl)
  local n = 0
  for _, body in ipairs(tbl.bodies) do
    n = n + #body.body
  end
  return n
end

local function keep_table_with_source(div)
  local tbl = nil
  for _, b in ipairs(div.content) do
    if b.t == "Table" then
      tbl = b
    end
  end
  if tbl == nil then
    return nil
  end
  if count_rows(tbl) > KEEP_ROWS or #pandoc.utils.stringify(tbl) > KEEP_CHARS then
    -- A long table breaks over pages; its source line becomes the table's footer (one cell over all
    -- columns). Typst repeats a footer at the foot of every page the table covers, so the source line is
    -- never alone on a page (issue 27) and each part of the table names its source.
    local blocks, source = pandoc.List(), nil
    local seen = false
    for _, b in ipairs(div.content) do
      if b == tbl then
        seen = true
        blocks:insert(b)
      elseif seen and source == nil and b.t == "Para" and pandoc.utils.stringify(b):match("^Källa:") then
        source = b
      else
        blocks:insert(b)
      end
    end
    if source ~= nil and #tbl.foot.rows == 0 then
      local cell = pandoc.Cell({ pandoc.Plain(source.content) }, "AlignLeft", 1, #tbl.colspecs)
      tbl.foot = pandoc.TableFoot({ pandoc.Row({ cell }) })
      div.content = blocks
      return div
    end
    return nil
  end
  local blocks = pandoc.List({ typst("#block(width: 100%, breakable: false)[") })
  blocks:extend(div.content)
  blocks:insert(typst("]"))
  div.content = blocks
  return div
end

-- Typst: the Divs of code cells (and Quarto's content-visible wrappers) are dropped, their blocks kept.
-- Pandoc writes a Div as a Typst #block, and Typst allows no page break inside a container: the county
-- profiles' page breaks and the chapters' page breaks must stand at the top level.
local function flatten(div)
  local classes = div.classes
  if #classes == 0 or classes:includes("cell") or classes:includes("cell-output")
      or classes:includes("cell-output-display") or classes:includes("cell-output-stdout") then
    return div.content
  end
  return nil
end

local function keep_with_caption(para)
  if FORMAT:match("docx") and only_image(para) then
    return pandoc.Div({ para }, { ["custom-style"] = "Figure" })
  end
  return nil
end

return {
  {
    Div = function(div)
      if div.classes:includes("sample-notice") then
        return notice(div)
      elseif FORMAT:match("typst") and div.classes:includes("cell-output-display") then
        local kept = keep_table_with_source(div)
        return kept and kept.content or div.content
      elseif FORMAT:match("typst") and div.classes:includes("cell") then
        local cell = typst_cell(div)
        return cell or div.content
      elseif FORMAT:match("typst") then
        return flatten(div)
      end
      return nil
    end,
    Table = Table,
    Para = keep_with_caption,
    Plain = keep_with_caption,
  },
}
