"""A nomination's report as PDF: its Word document (writing.py) converted by LibreOffice
running headless, each conversion with a profile and folder of its own, its fonts mapped to
Noto CJK by the fontconfig file beside this module. PDFs are kept in the default file storage
under reports/pdf/<hash of the document's content>.pdf, so the same report is converted once
and a changed nomination gets a new PDF.

The converter is the REPORT_PDF_CONVERTER setting (or environment variable): a command name
or a path; without one, soffice or libreoffice on PATH. A check (estates.W001) says when there
is none.
"""

import hashlib
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.checks import Warning, register
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .writing import write_report

logger = logging.getLogger(__name__)

FONTCONFIG_FILE = Path(__file__).with_name("fonts.conf")
CACHE_FOLDER = "reports/pdf"
# Part of every cache key: raise it when the conversion or its fonts change, so that PDFs
# made the old way are not served again.
RENDERING = "1"
DEFAULT_TIMEOUT_SECONDS = 120


class ReportPdfError(Exception):
    """No PDF: the message says why and what to do, for the person who asked for it."""


class ConverterMissing(ReportPdfError):
    pass


class ConversionFailed(ReportPdfError):
    pass


def converter():
    """The path of the LibreOffice program that converts, or None when there is none."""
    configured = (
        getattr(settings, "REPORT_PDF_CONVERTER", "") or os.environ.get("REPORT_PDF_CONVERTER", "")
    ).strip()
    for candidate in [configured] if configured else ["soffice", "libreoffice"]:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def content_key(docx):
    """A hash of the document's parts (names and contents), not of the ZIP around them,
    whose entries carry the time they were written."""
    digest = hashlib.sha256(f"rendering {RENDERING}\n".encode())
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for info in sorted(archive.infolist(), key=lambda info: info.filename):
            digest.update(info.filename.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(archive.read(info)).digest())
    return digest.hexdigest()


def cache_name(docx):
    return f"{CACHE_FOLDER}/{content_key(docx)}.pdf"


def report_pdf(nomination):
    """The nomination's report as the bytes of a PDF file; raises ReportPdfError."""
    docx = write_report(nomination)
    name = cache_name(docx)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as cached:
            return cached.read()
    pdf = docx_to_pdf(docx)
    try:
        stored = default_storage.save(name, ContentFile(pdf))
        if stored != name:
            # Another request stored the same PDF meanwhile; keep one copy.
            default_storage.delete(stored)
    except OSError:
        # A full disk costs the next download a conversion, not this one its PDF.
        logger.exception("Could not keep the report PDF %s", name)
    return pdf


def docx_to_pdf(docx):
    """Convert a .docx (bytes) with LibreOffice; raises ConverterMissing or ConversionFailed."""
    program = converter()
    if program is None:
        raise ConverterMissing(
            _("服务器未安装 LibreOffice，暂时不能生成 PDF；请先下载 Word 版，并告知网站管理员。")
        )
    timeout = getattr(settings, "REPORT_PDF_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as folder:
        folder = Path(folder)
        source, output = folder / "report.docx", folder / "out"
        source.write_bytes(docx)
        command = [
            program,
            # A profile of its own: conversions may run side by side, and none leaves a
            # profile behind or waits for another's lock.
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(output),
            str(source),
        ]
        environment = {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE), "HOME": str(folder)}
        # A session of its own, so that on a timeout the whole process group (the soffice
        # script and the soffice.bin it starts) is stopped, and nothing else.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=folder,
            env=environment,
            start_new_session=True,
        )
        try:
            _stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            logger.error("LibreOffice took more than %s s to convert a report", timeout)
            raise ConversionFailed(
                _("生成 PDF 超时（超过 %(seconds)s 秒）；请稍后再试，或先下载 Word 版。")
                % {"seconds": timeout}
            ) from None
        pdf = output / "report.pdf"
        if process.returncode != 0 or not pdf.is_file():
            logger.error(
                "LibreOffice could not convert a report (exit %s): %s",
                process.returncode,
                stderr.decode("utf-8", "replace")[-2000:],
            )
            raise ConversionFailed(
                _(
                    "LibreOffice 未能把推荐材料转换为 PDF；请先下载 Word 版，"
                    "并告知网站管理员（服务器日志中有原因）。"
                )
            )
        return pdf.read_bytes()


@register()
def report_converter_check(app_configs, **kwargs):
    """Reports download as PDF only where LibreOffice is installed; Word always works."""
    if converter() is not None:
        return []
    return [
        Warning(
            gettext_lazy(
                "找不到 LibreOffice（soffice）：推荐材料不能导出为 PDF，只能下载 Word 版。"
            ),
            hint=gettext_lazy(
                "在 Debian 或 Ubuntu 上安装：sudo apt-get install libreoffice-writer-nogui "
                "fonts-noto-cjk；或把 REPORT_PDF_CONVERTER 设为 soffice 的完整路径，"
                "然后重新启动。见 docs/deployment.md。"
            ),
            id="estates.W001",
        )
    ]
