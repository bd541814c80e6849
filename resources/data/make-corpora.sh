#!/bin/sh
# Rebuilds the demo corpora under resources/data/ from Debian packages (see PROVENANCE.md):
#   pretrain/{train,validation,test}.txt  general English: Jane Austen's six novels, Moby-Dick,
#                                          the Debian Administrator's Handbook, the Jargon File
#   finetune/{train,validation,test}.txt  a different domain: the King James New Testament
#   topics/{train,validation,test}.jsonl  {"text","label"} fortune cookies of five topics, balanced
# Plain-text files hold one document per blank-line-separated block (how the engine reads .txt).
# Installs what it needs with apt-get (as root, or through sudo), only when it is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
packages="r-cran-janeaustenr r-cran-tokenizers debian-handbook dict-jargon bible-kjv fortunes"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "installing:$missing"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT INT TERM

# The novels are R data sets; R writes them out as UTF-8 text, one file per book.
Rscript --vanilla -e '
out <- commandArgs(TRUE)[1]
books <- janeaustenr::austen_books()
for (b in levels(books$book)) {
    name <- paste0("austen-", gsub("[^a-z]+", "-", tolower(b)), ".txt")
    writeLines(enc2utf8(books$text[books$book == b]), file.path(out, name), useBytes = TRUE)
}
e <- new.env()
data("mobydick", package = "tokenizers", envir = e)
writeLines(enc2utf8(e$mobydick), file.path(out, "melville-moby-dick.txt"), useBytes = TRUE)
' "$raw"

# Matthew 1:1 to Revelation 22:21, one verse a line (a wide line length keeps verses unwrapped).
bible -l100000 "mat1:1-rev22:21" </dev/null >"$raw/kjv-new-testament.txt"

/usr/bin/python3 "$here/make-corpora.py" "$raw" "$here"

echo "package versions:"
dpkg-query -W $packages bible-kjv-text
