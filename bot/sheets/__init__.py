"""Spreadsheet files in and out (crm.ports.SpreadsheetReader, crm.ports.WorkbookWriter): .xlsx read
with python-calamine, .xls with xlrd, CSV decoded by charset-normalizer, .xlsx written with openpyxl.
Each library is imported by one module of this package."""
